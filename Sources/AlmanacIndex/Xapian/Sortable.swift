import CXapian

/// Xapian's `sortable_serialise`: numbers encoded so that bytewise order is numeric order,
/// for value slots used in sorting, value ranges and numeric-range facets.
public enum Sortable {
    /// The longest encoding (9 bytes).
    public static let maxLength = Int(CXAPIAN_SORTABLE_MAX)

    public static func serialise(_ value: Double) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: maxLength) { buffer, count in
            count = buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: maxLength) {
                cxapian_sortable_serialise(value, $0)
            }
        }
    }

    /// Appends the encoding of `value` to `bytes`.
    public static func append(_ value: Double, to bytes: inout [UInt8]) {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: maxLength) { buffer in
            let count = cxapian_sortable_serialise(value, buffer.baseAddress)
            bytes.append(
                contentsOf: UnsafeRawBufferPointer(start: buffer.baseAddress, count: count))
        }
    }

    public static func unserialise(_ bytes: [UInt8]) -> Double {
        bytes.withUnsafeBytes { unserialise($0) }
    }

    public static func unserialise(_ bytes: UnsafeRawBufferPointer) -> Double {
        cxapian_sortable_unserialise(
            bytes.baseAddress?.assumingMemoryBound(to: CChar.self), bytes.count)
    }
}
