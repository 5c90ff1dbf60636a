/// Percent-decoding (RFC 3986 §2.1), once for the project: query strings (where `+` is a
/// space, as `application/x-www-form-urlencoded` says), path segments and the userinfo,
/// host and path of a Redis URL (where `+` is itself).
///
/// Failures are typed so each caller words its own error.
public enum PercentDecoding {
    public enum Failure: Error, Sendable, Equatable {
        /// A `%` not followed by two hexadecimal digits.
        case badEscape
        /// The decoded bytes are not valid UTF-8.
        case invalidUTF8
    }

    /// The decoded text, which must be valid UTF-8.
    public static func decode(_ text: Substring, plusIsSpace: Bool) throws(Failure) -> String {
        let plus = plusIsSpace ? UInt8(ascii: "+") : UInt8(ascii: "%")
        guard text.utf8.contains(where: { $0 == UInt8(ascii: "%") || $0 == plus }) else { return String(text) }
        guard let decoded = String(validating: try bytes(text, plusIsSpace: plusIsSpace), as: UTF8.self) else {
            throw .invalidUTF8
        }
        return decoded
    }

    /// The decoded bytes, whatever they are.
    public static func bytes(_ text: Substring, plusIsSpace: Bool) throws(Failure) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        var utf8 = text.utf8.makeIterator()
        while let byte = utf8.next() {
            switch byte {
            case UInt8(ascii: "%"):
                guard let high = utf8.next().flatMap(Hex.value), let low = utf8.next().flatMap(Hex.value) else {
                    throw .badEscape
                }
                out.append(high << 4 | low)
            case UInt8(ascii: "+") where plusIsSpace:
                out.append(0x20)
            default:
                out.append(byte)
            }
        }
        return out
    }
}
