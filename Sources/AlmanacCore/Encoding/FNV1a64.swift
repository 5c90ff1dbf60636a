/// 64-bit FNV-1a: a fast, stable, non-cryptographic hash of bytes.
///
/// Its values are persisted and issued: index terms too long for Xapian carry it (as 16
/// hex digits, `Terms.keyword`) and paging cursors name their query by it (in radix 36,
/// `Cursor.fingerprint`). Changing it needs a reindex and breaks every cursor in flight.
public enum FNV1a64 {
    public static let offsetBasis: UInt64 = 0xcbf2_9ce4_8422_2325
    public static let prime: UInt64 = 0x100_0000_01b3

    public static func hash(_ bytes: some Sequence<UInt8>) -> UInt64 {
        var h = offsetBasis
        for b in bytes {
            h ^= UInt64(b)
            h = h &* prime
        }
        return h
    }

    /// The hash of the text's UTF-8 encoding.
    public static func hash(_ text: String) -> UInt64 {
        hash(text.utf8)
    }
}
