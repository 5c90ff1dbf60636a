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
