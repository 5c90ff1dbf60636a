import CXapian

/// A document being built for `XapianWritableDatabase.add`/`replace`.
///
/// Not thread-safe; build and use it on one thread at a time.
public final class XapianDocument {
    private let handle: OpaquePointer

    public init() {
        handle = xapianMust("cxapian_doc_new") { cxapian_doc_new($0) }!
    }

    deinit { cxapian_doc_free(handle) }

    /// Calls `body` with the C handle. Do not store the handle.
    func withUnsafeHandle<R>(_ body: (OpaquePointer) throws -> R) rethrows -> R {
        try withExtendedLifetime(self) { try body(handle) }
    }

    /// Adds an occurrence of `term` at `position` (positions start at 1).
    public func addPosting(_ term: String, position: UInt32, wdfIncrement: UInt32 = 1) throws {
        try xapianCall("add posting") { err in
            withBytes(term) { cxapian_doc_add_posting(handle, $0, $1, position, wdfIncrement, err) }
        }
    }

    /// Adds `term` without position information.
    public func addTerm(_ term: String, wdfIncrement: UInt32 = 1) throws {
        try xapianCall("add term") { err in
            withBytes(term) { cxapian_doc_add_term(handle, $0, $1, wdfIncrement, err) }
        }
    }

    /// Adds a filter term (wdf 0: does not change the document length or weights).
    public func addBooleanTerm(_ term: String) throws {
        try xapianCall("add boolean term") { err in
            withBytes(term) { cxapian_doc_add_boolean_term(handle, $0, $1, err) }
        }
    }

    /// Adds every term of `batch` in one call (the fast path for indexing).
    public func add(_ batch: XapianTermBatch) throws {
        try xapianCall("add term batch") { err in
            withBytes(batch.bytes) { cxapian_doc_add_packed(handle, $0, $1, err) }
        }
    }

    /// Sets a value slot (an empty value removes it).
    public func setValue(_ slot: UInt32, _ bytes: [UInt8]) {
        xapianMust("cxapian_doc_set_value") { err in
            withBytes(bytes) { cxapian_doc_set_value(handle, slot, $0, $1, err) }
        }
    }

    public func setValue(_ slot: UInt32, _ string: String) {
        xapianMust("cxapian_doc_set_value") { err in
            withBytes(string) { cxapian_doc_set_value(handle, slot, $0, $1, err) }
        }
    }

    /// Sets the document data (returned with search hits on request).
    public func setData(_ bytes: [UInt8]) {
        xapianMust("cxapian_doc_set_data") { err in
            withBytes(bytes) { cxapian_doc_set_data(handle, $0, $1, err) }
        }
    }
}

@available(*, unavailable, message: "Xapian handles are not thread-safe")
extension XapianDocument: Sendable {}
