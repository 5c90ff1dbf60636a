/// The two facts of a product search answer that search analytics records besides the
/// query: whether it found nothing, and the corrected query. They travel in front of the
/// rendered body in what the cache stores (`frame`), so a cache hit — the hot path — reads
/// a few header bytes instead of parsing the body it serves.
///
/// Layout: `0x00 0x46` ("\0F": JSON never starts with a NUL), one flags byte (bit 0: no
/// results, bit 1: corrected), the corrected query's UTF-8 length as 4 bytes big-endian
/// (0 when not corrected), its bytes, then the JSON body.
public struct SearchFacts: Sendable, Equatable {
    public var zeroResults: Bool
    public var corrected: String?

    public init(zeroResults: Bool, corrected: String?) {
        self.zeroResults = zeroResults
        self.corrected = corrected
    }

    static let magic: (UInt8, UInt8) = (0x00, 0x46)
    static let fixedHeader = 7

    /// The header to write before the body.
    public var header: [UInt8] {
        let text = Array((corrected ?? "").utf8)
        var out: [UInt8] = [Self.magic.0, Self.magic.1, (zeroResults ? 1 : 0) | (corrected != nil ? 2 : 0)]
        out.reserveCapacity(Self.fixedHeader + text.count)
        let n = UInt32(text.count)
        out += [UInt8(n >> 24), UInt8((n >> 16) & 0xFF), UInt8((n >> 8) & 0xFF), UInt8(n & 0xFF)]
        out += text
        return out
    }

    /// Reads the header off stored bytes: the facts and where the body starts. Bytes
    /// without a header (or a damaged one) answer nil facts and the whole as the body.
    public static func read(_ stored: [UInt8]) -> (facts: SearchFacts?, bodyStart: Int) {
        guard stored.count >= fixedHeader, stored[0] == magic.0, stored[1] == magic.1 else { return (nil, 0) }
        let flags = stored[2]
        let n = Int(stored[3]) << 24 | Int(stored[4]) << 16 | Int(stored[5]) << 8 | Int(stored[6])
        guard fixedHeader + n <= stored.count else { return (nil, 0) }
        let corrected = flags & 2 != 0 ? String(decoding: stored[fixedHeader..<(fixedHeader + n)], as: UTF8.self) : nil
        return (SearchFacts(zeroResults: flags & 1 != 0, corrected: corrected), fixedHeader + n)
    }
}
