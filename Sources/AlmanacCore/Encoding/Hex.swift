/// Hexadecimal, once for the project: lower-case encoding (digests, key ids, cache keys,
/// generated event ids, hashed index terms), decoding of either case (key files), and the
/// value of one digit (percent-decoding).
public enum Hex {
    /// The lower-case digits, by value.
    static let digits: [UInt8] = Array("0123456789abcdef".utf8)

    /// Two lower-case digits per byte.
    public static func encode(_ bytes: some Sequence<UInt8>) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.underestimatedCount * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Every digit of `value`, most significant first, zero-padded to the type's width
    /// (16 digits for a `UInt64`): the bytes of its big-endian form, encoded.
    public static func encode<T: FixedWidthInteger & UnsignedInteger>(_ value: T) -> String {
        var out = [UInt8](repeating: 0, count: T.bitWidth / 4)
        var v = value
        for i in out.indices.reversed() {
            out[i] = digits[Int(truncatingIfNeeded: v & 0x0F)]
            v >>= 4
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes hexadecimal (either case); nil on an odd length or a non-hex character.
    public static func decode(_ text: String) -> [UInt8]? {
        let utf8 = Array(text.utf8)
        guard utf8.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(utf8.count / 2)
        var index = 0
        while index < utf8.count {
            guard let high = value(utf8[index]), let low = value(utf8[index + 1]) else { return nil }
            out.append(high << 4 | low)
            index += 2
        }
        return out
    }

    /// The value of one hexadecimal digit (either case), nil for any other byte.
    public static func value(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
