import CXapian

// Byte plumbing between Swift values and CXapian's (pointer, length) pairs.

/// Calls `body` with the UTF-8 bytes of `string` (no copy for native strings).
@inline(__always)
func withBytes<R>(_ string: String, _ body: (UnsafePointer<CChar>?, Int) throws -> R) rethrows -> R {
    var string = string
    return try string.withUTF8 { try body(charPointer($0.baseAddress), $0.count) }
}

@inline(__always)
func withBytes<R>(_ bytes: [UInt8], _ body: (UnsafePointer<CChar>?, Int) throws -> R) rethrows -> R {
    try bytes.withUnsafeBufferPointer { try body(charPointer($0.baseAddress), $0.count) }
}

@inline(__always)
func charPointer(_ p: UnsafePointer<UInt8>?) -> UnsafePointer<CChar>? {
    // UInt8 and CChar may alias (same size, signedness variants).
    UnsafeRawPointer(p)?.assumingMemoryBound(to: CChar.self)
}

/// Copies a (pointer, length) pair owned by CXapian.
@inline(__always)
func copyBytes(_ p: UnsafePointer<CChar>?, _ count: Int) -> [UInt8] {
    guard count > 0, let p else { return [] }
    return [UInt8](UnsafeRawBufferPointer(start: p, count: count))
}

/// Copies and frees a malloc'd buffer returned by CXapian.
@inline(__always)
func takeBytes(_ p: UnsafeMutablePointer<CChar>?, _ count: Int) -> [UInt8] {
    defer { cxapian_free(p) }
    return copyBytes(p, count)
}

@inline(__always)
func takeString(_ p: UnsafeMutablePointer<CChar>?, _ count: Int) -> String {
    defer { cxapian_free(p) }
    guard count > 0, let p else { return "" }
    return String(decoding: UnsafeRawBufferPointer(start: p, count: count), as: UTF8.self)
}

/// Context for CXapian's term callbacks: the Swift closure and the error it threw, if any.
private struct TermVisitor {
    let body: (UnsafeRawBufferPointer, Int) throws -> Void
    var error: (any Error)?
}

/// Runs a CXapian term iteration (`cxapian_db_allterms` or `cxapian_wdb_allterms`) with a
/// throwing Swift closure. A thrown error stops the iteration and is rethrown.
func iterateTerms(
    prefix: String,
    context: @autoclosure () -> String,
    _ body: (UnsafeRawBufferPointer, Int) throws -> Void,
    _ call: (
        UnsafePointer<CChar>?, Int, cxapian_term_callback, UnsafeMutableRawPointer,
        UnsafeMutablePointer<cxapian_error>
    ) -> Void
) throws {
    try withoutActuallyEscaping(body) { body in
        var visitor = TermVisitor(body: body, error: nil)
        try withUnsafeMutablePointer(to: &visitor) { visitorPointer in
            try xapianCall(context()) { err in
                withBytes(prefix) { p, n in
                    call(p, n, { ctx, term, length, frequency in
                        let visitor = ctx!.assumingMemoryBound(to: TermVisitor.self)
                        do {
                            try visitor.pointee.body(
                                UnsafeRawBufferPointer(start: term, count: length), Int(frequency))
                            return 0
                        } catch {
                            visitor.pointee.error = error
                            return 1
                        }
                    }, UnsafeMutableRawPointer(visitorPointer), err)
                }
            }
        }
        if let error = visitor.error { throw error }
    }
}
