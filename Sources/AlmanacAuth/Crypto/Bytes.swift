/// Runs `body` with a pointer to `bytes` that is never nil, even for an empty collection
/// (OpenSSL treats a NULL data pointer as an error in several places, even with length 0).
/// Do not store the pointer: it is valid only inside `body`.
@inline(__always)
func withBytes<R>(_ bytes: [UInt8], _ body: (UnsafePointer<UInt8>, Int) -> R) -> R {
    bytes.withUnsafeBufferPointer { buffer in
        if let base = buffer.baseAddress, buffer.count > 0 {
            return body(base, buffer.count)
        }
        var empty: UInt8 = 0
        return withUnsafePointer(to: &empty) { body($0, 0) }
    }
}

/// Big-endian comparison of two equal-length unsigned integers: -1, 0 or 1.
/// Only for public values (signature components): it is not constant-time.
func compareBigEndian(_ a: ArraySlice<UInt8>, _ b: [UInt8]) -> Int {
    precondition(a.count == b.count)
    for (x, y) in zip(a, b) where x != y {
        return x < y ? -1 : 1
    }
    return 0
}
