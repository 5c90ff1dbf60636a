/// Minimal UTF-8 decoding over raw bytes, shared by the filter lexer, the tokenizer and
/// the free-text query lexer. Input comes from Swift `String`s, so it is valid UTF-8, but
/// every read is bounds-checked anyway: a truncated sequence decodes as U+FFFD.
enum UTF8Decoding {
    /// The scalar starting at `index` and its length in bytes (at least 1).
    @inline(__always)
    static func decode(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int) -> (scalar: Unicode.Scalar, length: Int) {
        let b0 = bytes[index]
        if b0 < 0x80 { return (Unicode.Scalar(b0), 1) }
        let length: Int
        var value: UInt32
        switch b0 {
        case 0xC0...0xDF: length = 2; value = UInt32(b0 & 0x1F)
        case 0xE0...0xEF: length = 3; value = UInt32(b0 & 0x0F)
        case 0xF0...0xF7: length = 4; value = UInt32(b0 & 0x07)
        default: return ("\u{FFFD}", 1)
        }
        guard index + length <= bytes.count else { return ("\u{FFFD}", 1) }
        for k in 1..<length {
            let b = bytes[index + k]
            guard b & 0xC0 == 0x80 else { return ("\u{FFFD}", 1) }
            value = value << 6 | UInt32(b & 0x3F)
        }
        return (Unicode.Scalar(value) ?? "\u{FFFD}", length)
    }

    /// `decode` over an array.
    @inline(__always)
    static func decode(_ bytes: [UInt8], at index: Int) -> (scalar: Unicode.Scalar, length: Int) {
        bytes.withUnsafeBufferPointer { decode($0, at: index) }
    }
}
