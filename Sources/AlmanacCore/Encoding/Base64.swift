/// RFC 4648 base64 in both alphabets, strict on input: the one base64 of the project
/// (tokens, JWKs, client secrets and paging cursors use `url`, stored password hashes
/// `standard`).
///
/// Both variants are unpadded. Decoding accepts only the alphabet's 64 characters (no `=`,
/// no whitespace), and only canonical encodings: the unused low bits of the
/// last character must be zero, so every byte string has exactly one accepted text. That
/// matters for tokens and stored hashes, where two spellings of one value would be a
/// malleability (and a cache-key) problem.
public struct Base64Codec: Sendable {
    public static let standard = Base64Codec(
        alphabet: Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8))
    public static let url = Base64Codec(
        alphabet: Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8))

    let alphabet: [UInt8]
    private let reverse: [UInt8]  // 0xFF: not in the alphabet

    init(alphabet: [UInt8]) {
        precondition(alphabet.count == 64)
        self.alphabet = alphabet
        var reverse = [UInt8](repeating: 0xFF, count: 256)
        for (i, c) in alphabet.enumerated() { reverse[Int(c)] = UInt8(i) }
        self.reverse = reverse
    }

    public func encode(_ bytes: some Collection<UInt8>) -> String {
        let input = Array(bytes)
        var out: [UInt8] = []
        out.reserveCapacity((input.count + 2) / 3 * 4)
        var i = 0
        while i + 3 <= input.count {
            let n = UInt32(input[i]) << 16 | UInt32(input[i + 1]) << 8 | UInt32(input[i + 2])
            out.append(alphabet[Int(n >> 18 & 63)])
            out.append(alphabet[Int(n >> 12 & 63)])
            out.append(alphabet[Int(n >> 6 & 63)])
            out.append(alphabet[Int(n & 63)])
            i += 3
        }
        switch input.count - i {
        case 1:
            let n = UInt32(input[i]) << 16
            out.append(alphabet[Int(n >> 18 & 63)])
            out.append(alphabet[Int(n >> 12 & 63)])
        case 2:
            let n = UInt32(input[i]) << 16 | UInt32(input[i + 1]) << 8
            out.append(alphabet[Int(n >> 18 & 63)])
            out.append(alphabet[Int(n >> 12 & 63)])
            out.append(alphabet[Int(n >> 6 & 63)])
        default:
            break
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The decoded bytes, or nil if `text` is not a canonical encoding in this variant.
    public func decode(_ text: some Collection<UInt8>) -> [UInt8]? {
        let input = Array(text)
        let remainder = input.count % 4
        guard remainder != 1 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(input.count / 4 * 3 + 2)
        var i = 0
        while i + 4 <= input.count {
            let a = reverse[Int(input[i])], b = reverse[Int(input[i + 1])]
            let c = reverse[Int(input[i + 2])], d = reverse[Int(input[i + 3])]
            guard (a | b | c | d) & 0xC0 == 0 else { return nil }
            let n = UInt32(a) << 18 | UInt32(b) << 12 | UInt32(c) << 6 | UInt32(d)
            out.append(UInt8(n >> 16 & 0xFF))
            out.append(UInt8(n >> 8 & 0xFF))
            out.append(UInt8(n & 0xFF))
            i += 4
        }
        switch remainder {
        case 2:
            let a = reverse[Int(input[i])], b = reverse[Int(input[i + 1])]
            guard (a | b) & 0xC0 == 0, b & 0x0F == 0 else { return nil }
            out.append(a << 2 | b >> 4)
        case 3:
            let a = reverse[Int(input[i])], b = reverse[Int(input[i + 1])], c = reverse[Int(input[i + 2])]
            guard (a | b | c) & 0xC0 == 0, c & 0x03 == 0 else { return nil }
            out.append(a << 2 | b >> 4)
            out.append((b & 0x0F) << 4 | c >> 2)
        default:
            break
        }
        return out
    }
}

/// Base64url without padding (RFC 4648 §5, as JWS uses it: RFC 7515 §2).
///
/// Decoding is strict: only `A-Z a-z 0-9 - _`, no `=` padding, no whitespace, no line
/// breaks, and only the canonical encoding (the unused low bits of the last character are
/// zero), so a token has exactly one spelling.
public enum Base64URL {
    public static func encode(_ bytes: some Collection<UInt8>) -> String {
        Base64Codec.url.encode(bytes)
    }

    public static func encode(_ string: String) -> String {
        Base64Codec.url.encode(Array(string.utf8))
    }

    /// The decoded bytes, or nil when `text` is not canonical unpadded base64url.
    public static func decode(_ text: some StringProtocol) -> [UInt8]? {
        Base64Codec.url.decode(Array(text.utf8))
    }

    /// As `decode(_:)`, from the UTF-8 bytes of the text.
    public static func decode(bytes: some Collection<UInt8>) -> [UInt8]? {
        Base64Codec.url.decode(bytes)
    }
}
