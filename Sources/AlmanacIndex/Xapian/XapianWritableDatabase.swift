import CXapian

/// The single writer of a Xapian database (Xapian allows one per database: a second one
/// fails with `XapianError.Code.databaseLocked`).
///
/// Not thread-safe: own it from one actor or serial executor. Changes become visible to
/// readers after `commit()` and their `reopen()`. `deinit` commits pending changes and
/// ignores errors doing so; call `commit()` or `close()` to see them.
public final class XapianWritableDatabase {
    private let handle: OpaquePointer
    public let path: String

    /// Opens the database at `path`, creating it if needed.
    /// - Parameters:
    ///   - overwrite: start from an empty database even if one exists.
    ///   - durable: fsync on commit. Pass false only for rebuilds that are thrown away on a
    ///     crash.
    public init(path: String, overwrite: Bool = false, durable: Bool = true) throws {
        var flags: Int32 = 0
        if overwrite { flags |= Int32(CXAPIAN_WDB_OVERWRITE) }
        if !durable { flags |= Int32(CXAPIAN_WDB_NO_SYNC) }
        handle = try xapianHandle("open \(path) for writing") { err in
            withBytes(path) { cxapian_wdb_open($0, $1, flags, err) }
        }
        self.path = path
    }

    deinit { cxapian_wdb_free(handle) }

    /// Calls `body` with the C handle. Do not store the handle.
    func withUnsafeHandle<R>(_ body: (OpaquePointer) throws -> R) rethrows -> R {
        try withExtendedLifetime(self) { try body(handle) }
    }

    /// Adds a document known to be new and returns its docid.
    @discardableResult
    public func add(_ document: XapianDocument) throws -> UInt32 {
        try document.withUnsafeHandle { doc in
            try xapianCall("add document to \(path)") { cxapian_wdb_add_document(handle, doc, $0) }
        }
    }

    /// Replaces the document indexed by `uniqueTerm` (or adds it) and returns its docid.
    @discardableResult
    public func replace(uniqueTerm: String, with document: XapianDocument) throws -> UInt32 {
        try document.withUnsafeHandle { doc in
            try xapianCall("replace document \(uniqueTerm) in \(path)") { err in
                withBytes(uniqueTerm) { cxapian_wdb_replace_document(handle, $0, $1, doc, err) }
            }
        }
    }

    /// Deletes the documents indexed by `uniqueTerm` (nothing happens if there are none).
    public func delete(uniqueTerm: String) throws {
        try xapianCall("delete document \(uniqueTerm) in \(path)") { err in
            withBytes(uniqueTerm) { cxapian_wdb_delete_document(handle, $0, $1, err) }
        }
    }

    /// Makes all changes since the last commit durable and visible, atomically.
    public func commit() throws {
        try xapianCall("commit \(path)") { cxapian_wdb_commit(handle, $0) }
    }

    /// Sets a metadata entry; it is committed with the next `commit()`. An empty value
    /// removes the entry.
    public func setMetadata(_ key: String, _ value: [UInt8]) throws {
        try xapianCall("set metadata \(key) in \(path)") { err in
            withBytes(key) { k, kn in
                withBytes(value) { cxapian_wdb_set_metadata(handle, k, kn, $0, $1, err) }
            }
        }
    }

    /// A metadata entry, including uncommitted changes; empty when unset.
    public func metadata(_ key: String) throws -> [UInt8] {
        var length = 0
        let p = try xapianCall("get metadata \(key) in \(path)") { err in
            withBytes(key) { cxapian_wdb_get_metadata(handle, $0, $1, &length, err) }
        }
        return takeBytes(p, length)
    }

    public var documentCount: Int {
        get throws { Int(try xapianCall("doccount of \(path)") { cxapian_wdb_doccount(handle, $0) }) }
    }

    public var lastDocumentID: UInt32 {
        get throws { try xapianCall("lastdocid of \(path)") { cxapian_wdb_lastdocid(handle, $0) } }
    }

    /// The number of documents indexed by `term`.
    public func termFrequency(_ term: String) throws -> Int {
        let n = try xapianCall("termfreq in \(path)") { err in
            withBytes(term) { cxapian_wdb_termfreq(handle, $0, $1, err) }
        }
        return Int(n)
    }

    /// Calls `body` with every term starting with `prefix` (in byte order) and its term
    /// frequency. A thrown error stops the iteration and is rethrown.
    public func forEachTerm(prefix: String = "", _ body: (String, Int) throws -> Void) throws {
        try forEachTermBytes(prefix: prefix) { try body(String(decoding: $0, as: UTF8.self), $1) }
    }

    /// `forEachTerm` without String conversion; the buffer is valid only inside `body`.
    public func forEachTermBytes(
        prefix: String = "", _ body: (UnsafeRawBufferPointer, Int) throws -> Void
    ) throws {
        try iterateTerms(prefix: prefix, context: "terms of \(path)", body) { p, n, callback, context, err in
            cxapian_wdb_allterms(handle, p, n, callback, context, err)
        }
    }

    /// Commits pending changes and releases the lock; later calls fail with
    /// `.databaseClosed`.
    public func close() throws {
        try xapianCall("close \(path)") { cxapian_wdb_close(handle, $0) }
    }
}

@available(*, unavailable, message: "Xapian handles are not thread-safe")
extension XapianWritableDatabase: Sendable {}
