import CXapian

/// Terms for a document, packed into one buffer so a whole document's terms cross into
/// Xapian in a single call (`XapianDocument.add(_:)`). The layout is CXapian's packed term
/// buffer (see `cxapian_doc_add_packed`). Reuse one batch with `removeAll()` to avoid
/// reallocating.
public struct XapianTermBatch: Sendable, Hashable {
    public private(set) var bytes: [UInt8]

    public init(reservingCapacity capacity: Int = 0) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    /// A batch from an already packed buffer (validated when added to a document).
    public init(packed bytes: [UInt8]) {
        self.bytes = bytes
    }

    public var isEmpty: Bool { bytes.isEmpty }

    public mutating func removeAll(keepingCapacity: Bool = true) {
        bytes.removeAll(keepingCapacity: keepingCapacity)
    }

    /// An occurrence of `prefix + term` at `position` (positions start at 1).
    public mutating func addPosting(
        _ term: some StringProtocol, prefix: String = "", position: UInt32, wdfIncrement: UInt32 = 1
    ) {
        appendTerm(op: CXAPIAN_PACKED_POSTING, prefix: prefix, term: term)
        VarInt.append(UInt64(position), to: &bytes)
        VarInt.append(UInt64(wdfIncrement), to: &bytes)
    }

    /// `prefix + term` without position.
    public mutating func addTerm(
        _ term: some StringProtocol, prefix: String = "", wdfIncrement: UInt32 = 1
    ) {
        appendTerm(op: CXAPIAN_PACKED_TERM, prefix: prefix, term: term)
        VarInt.append(UInt64(wdfIncrement), to: &bytes)
    }

    /// A filter term `prefix + term` (wdf 0).
    public mutating func addBooleanTerm(_ term: some StringProtocol, prefix: String = "") {
        appendTerm(op: CXAPIAN_PACKED_BOOLEAN, prefix: prefix, term: term)
    }

    @inline(__always)
    private mutating func appendTerm(op: Int, prefix: String, term: some StringProtocol) {
        bytes.append(UInt8(op))
        VarInt.append(UInt64(prefix.utf8.count + term.utf8.count), to: &bytes)
        bytes.append(contentsOf: prefix.utf8)
        bytes.append(contentsOf: term.utf8)
    }
}
