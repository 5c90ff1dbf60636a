import CXapian

/// A read-only view of one Xapian database, or of several searched as one.
///
/// Not thread-safe: one handle per thread (a pool elsewhere hands them out). A reader sees
/// the revision it opened until `reopen()`.
public final class XapianDatabase {
    private let handle: OpaquePointer
    /// The paths this handle reads, in docid interleaving order.
    public let paths: [String]

    /// Opens the database at `path`.
    public convenience init(path: String) throws {
        let handle = try xapianHandle("open \(path)") { err in
            withBytes(path) { cxapian_db_open($0, $1, err) }
        }
        self.init(owning: handle, paths: [path])
    }

    /// Opens several databases as one (sharded search). With n paths, the document with
    /// docid d in shard i (0-based) has docid (d - 1) * n + i + 1 here. No paths gives an
    /// empty database.
    public convenience init(paths: [String]) throws {
        let handle = try xapianHandle("open \(paths.joined(separator: ", "))") { err in
            withPathArray(paths) { pointers, lengths in
                cxapian_db_open_many(pointers, lengths, paths.count, err)
            }
        }
        self.init(owning: handle, paths: paths)
    }

    private init(owning handle: OpaquePointer, paths: [String]) {
        self.handle = handle
        self.paths = paths
    }

    deinit { cxapian_db_free(handle) }

    /// Calls `body` with the C handle. Do not store the handle.
    func withUnsafeHandle<R>(_ body: (OpaquePointer) throws -> R) rethrows -> R {
        try withExtendedLifetime(self) { try body(handle) }
    }

    var context: String { paths.count == 1 ? paths[0] : "[\(paths.joined(separator: ", "))]" }

    /// Moves to the latest committed revision. Returns true when a newer one was loaded.
    @discardableResult
    public func reopen() throws -> Bool {
        try xapianCall("reopen \(context)") { cxapian_db_reopen(handle, $0) }
    }

    public var documentCount: Int {
        get throws { Int(try xapianCall("doccount of \(context)") { cxapian_db_doccount(handle, $0) }) }
    }

    public var lastDocumentID: UInt32 {
        get throws { try xapianCall("lastdocid of \(context)") { cxapian_db_lastdocid(handle, $0) } }
    }

    /// A metadata entry (empty when unset). With several databases, the first one's.
    public func metadata(_ key: String) throws -> [UInt8] {
        var length = 0
        let p = try xapianCall("get metadata \(key) in \(context)") { err in
            withBytes(key) { cxapian_db_get_metadata(handle, $0, $1, &length, err) }
        }
        return takeBytes(p, length)
    }

    /// The number of documents indexed by `term`.
    public func termFrequency(_ term: String) throws -> Int {
        let n = try xapianCall("termfreq in \(context)") { err in
            withBytes(term) { cxapian_db_termfreq(handle, $0, $1, err) }
        }
        return Int(n)
    }

    /// Calls `body` with every term starting with `prefix` (in byte order) and its term
    /// frequency. A thrown error stops the iteration and is rethrown.
    public func forEachTerm(prefix: String = "", _ body: (String, Int) throws -> Void) throws {
        try forEachTermBytes(prefix: prefix) { try body(String(decoding: $0, as: UTF8.self), $1) }
    }

    /// The `limit` terms starting with `prefix` with the highest term frequencies (ties in
    /// term order), as Xapian's wildcard expansion with `WILDCARD_LIMIT_MOST_FREQUENT`
    /// picks them. Measured on the 63k-product index: 1.6 ms for the 8,928 terms of `lib`,
    /// where the wildcard query took 20 ms before matching anything.
    public func mostFrequentTerms(prefix: String, limit: Int) throws -> [(term: String, frequency: Int)] {
        var found: [(term: String, frequency: Int)] = []
        try forEachTerm(prefix: prefix) { found.append(($0, $1)) }
        if found.count > limit {
            found = Array(
                found.enumerated().sorted { a, b in
                    a.element.frequency != b.element.frequency ? a.element.frequency > b.element.frequency : a.offset < b.offset
                }.prefix(limit).map(\.element))
        }
        return found
    }

    /// `forEachTerm` without String conversion; the buffer is valid only inside `body`.
    public func forEachTermBytes(
        prefix: String = "", _ body: (UnsafeRawBufferPointer, Int) throws -> Void
    ) throws {
        try iterateTerms(prefix: prefix, context: "terms of \(context)", body) { p, n, callback, ctx, err in
            cxapian_db_allterms(handle, p, n, callback, ctx, err)
        }
    }

    /// The data of document `docid`; throws `.documentNotFound` if there is none.
    public func documentData(_ docid: UInt32) throws -> [UInt8] {
        var length = 0
        let p = try xapianCall("data of document \(docid) in \(context)") {
            cxapian_db_get_data(handle, docid, &length, $0)
        }
        return takeBytes(p, length)
    }

    /// A value slot of document `docid` (empty when unset).
    public func documentValue(_ docid: UInt32, slot: UInt32) throws -> [UInt8] {
        var length = 0
        let p = try xapianCall("value \(slot) of document \(docid) in \(context)") {
            cxapian_db_get_value(handle, docid, slot, &length, $0)
        }
        return takeBytes(p, length)
    }

    /// Releases the files; later calls fail with `.databaseClosed`.
    public func close() throws {
        try xapianCall("close \(context)") { cxapian_db_close(handle, $0) }
    }
}

@available(*, unavailable, message: "Xapian handles are not thread-safe")
extension XapianDatabase: Sendable {}

/// Calls `body` with C arrays of the UTF-8 pointers and lengths of `paths`.
private func withPathArray<R>(
    _ paths: [String],
    _ body: (UnsafePointer<UnsafePointer<CChar>?>?, UnsafePointer<Int>?) -> R
) -> R {
    var joined: [UInt8] = []
    var lengths: [Int] = []
    for path in paths {
        joined.append(contentsOf: path.utf8)
        lengths.append(path.utf8.count)
    }
    return joined.withUnsafeBufferPointer { buffer in
        var offset = 0
        let pointers: [UnsafePointer<CChar>?] = lengths.map { length in
            defer { offset += length }
            return charPointer(buffer.baseAddress.map { $0 + offset })
        }
        return pointers.withUnsafeBufferPointer { p in
            lengths.withUnsafeBufferPointer { l in body(p.baseAddress, l.baseAddress) }
        }
    }
}
