/// The one tokenizer of Almanac: the indexer (document text), the free-text query parser
/// and the highlighter all use it, so a word in a query is always spelled like the same
/// word in a document.
///
/// Rules:
/// - A word is a maximal run of word characters: Unicode letters (`L*`), numbers (`Nd`,
///   `Nl`, `No`), and combining marks (`Mn`, `Mc`, `Me`) after the first character (so
///   decomposed `e` + U+0301 stays inside its word).
/// - Everything else separates words, including `_`, `-`, `.`, `/`, `@`, `:`: `SSL_read`
///   is `ssl`, `read`; `python3-foo` is `python3`, `foo`. (Splitting `_` gives recall on
///   identifiers; the query parser turns such a query word back into a phrase.)
/// - An apostrophe (`'` U+0027 or `’` U+2019) between two word characters is dropped and
///   the word continues: `don't` -> `dont`, `O’Reilly` -> `oreilly`. Elsewhere it separates.
/// - Han ideographs, Hiragana and Katakana are one word each (no dictionary segmentation).
/// - Words are lower-cased with `String.lowercased()` (ASCII by table). No accent
///   stripping and no Unicode normalisation: `crème` stays `crème`, and precomposed and
///   decomposed spellings stay different terms (exact matching is the contract).
/// - A word whose lower-cased form is longer than `maxWordBytes` (64) UTF-8 bytes is
///   skipped and uses no position, so phrases across it still line up between a
///   document and a query holding the same text.
///
/// Ranges are UTF-8 byte offsets into the original string, from the word's first
/// character to its last (apostrophes inside included), for the highlighter.
public enum Tokenizer {
    /// Longest word kept, in UTF-8 bytes of its normalised form.
    public static let maxWordBytes = 64

    public struct Token: Sendable, Hashable {
        /// The normalised (lower-cased) word.
        public var text: String
        /// UTF-8 byte offsets of the word in the original text.
        public var range: Range<Int>
        /// Word index: `startPosition` for the first kept word, then +1 per kept word.
        public var position: Int

        public init(text: String, range: Range<Int>, position: Int) {
            self.text = text
            self.range = range
            self.position = position
        }
    }

    /// Calls `body` with every word of `text`, in order. Returns the position after the
    /// last word (`startPosition` plus the number of words).
    @discardableResult
    public static func forEachToken(
        in text: String, startPosition: Int = 0, _ body: (Token) throws -> Void
    ) rethrows -> Int {
        var text = text
        return try text.withUTF8 { bytes in
            try scan(bytes, startPosition: startPosition, body)
        }
    }

    /// All tokens of `text`.
    public static func tokens(in text: String, startPosition: Int = 0) -> [Token] {
        var result: [Token] = []
        forEachToken(in: text, startPosition: startPosition) { result.append($0) }
        return result
    }

    /// The normalised words of `text`.
    public static func words(_ text: String) -> [String] {
        var result: [String] = []
        forEachToken(in: text) { result.append($0.text) }
        return result
    }

    /// The normalised form of `word` when it tokenizes to exactly one word, else nil.
    public static func singleWord(_ text: String) -> String? {
        var result: String?
        var count = 0
        forEachToken(in: text) { token in
            count += 1
            result = token.text
        }
        return count == 1 ? result : nil
    }

    /// Whether `word` holds a digit (any Unicode number): typo tolerance skips such words
    /// (SKUs, sizes, versions).
    public static func containsDigit(_ word: String) -> Bool {
        for byte in word.utf8 where byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") { return true }
        guard word.utf8.contains(where: { $0 >= 0x80 }) else { return false }
        return word.unicodeScalars.contains { scalar in
            guard scalar.value >= 0x80 else { return false }
            switch scalar.properties.generalCategory {
            case .decimalNumber, .letterNumber, .otherNumber: return true
            default: return false
            }
        }
    }

    // MARK: - Scanner

    /// Class of an ASCII byte: 1 = lower-case letter or digit, 3 = upper-case letter,
    /// 0 = separator.
    @inline(__always)
    private static func asciiClass(_ byte: UInt8) -> UInt8 {
        if byte &- 0x61 < 26 || byte &- 0x30 < 10 { return 1 }
        if byte &- 0x41 < 26 { return 3 }
        return 0
    }

    private enum ScalarClass {
        /// Not part of a word.
        case separator
        /// A letter or number that lower-casing leaves alone.
        case word
        /// A letter or number that lower-casing may change (upper/title case, Roman numerals).
        case upperWord
        /// A combining mark: continues a word, never starts one.
        case mark
        /// An ideograph or kana: a word on its own.
        case single
    }

    /// Classifies a non-ASCII scalar with at most two Unicode property lookups, none for
    /// Latin-1 letters.
    @inline(__always)
    private static func classify(_ scalar: Unicode.Scalar) -> ScalarClass {
        let value = scalar.value
        if value >= 0xC0 && value <= 0xFF {
            // À-Þ upper-case, ß-ÿ lower-case, × and ÷ are symbols.
            if value == 0xD7 || value == 0xF7 { return .separator }
            return value <= 0xDE ? .upperWord : .word
        }
        // Hiragana, Katakana (with phonetic extensions and half-width forms).
        if (0x3040...0x30FF).contains(value) || (0x31F0...0x31FF).contains(value) || (0xFF66...0xFF9D).contains(value) {
            return .single
        }
        let properties = scalar.properties
        switch properties.generalCategory {
        case .uppercaseLetter, .titlecaseLetter:
            return .upperWord
        case .lowercaseLetter, .modifierLetter, .decimalNumber, .otherNumber:
            return .word
        case .otherLetter:
            return properties.isIdeographic ? .single : .word
        case .letterNumber:
            return properties.isIdeographic ? .single : .upperWord
        case .nonspacingMark, .spacingMark, .enclosingMark:
            return .mark
        default:
            return .separator
        }
    }

    /// Whether a word may continue at `index` (after an apostrophe): a word character.
    @inline(__always)
    private static func wordContinues(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int) -> Bool {
        guard index < bytes.count else { return false }
        let byte = bytes[index]
        if byte < 0x80 { return asciiClass(byte) != 0 }
        let scalarClass = classify(UTF8Decoding.decode(bytes, at: index).scalar)
        return scalarClass == .word || scalarClass == .upperWord
    }

    private static func scan(
        _ bytes: UnsafeBufferPointer<UInt8>, startPosition: Int, _ body: (Token) throws -> Void
    ) rethrows -> Int {
        let count = bytes.count
        var position = startPosition
        var index = 0
        while index < count {
            let first = bytes[index]
            if first < 0x80 {
                if asciiClass(first) == 0 {
                    index += 1
                    continue
                }
            } else {
                let (scalar, length) = UTF8Decoding.decode(bytes, at: index)
                switch classify(scalar) {
                case .separator, .mark:
                    index += length
                    continue
                case .single:
                    // Ideographs and kana have no case.
                    let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[index..<index + length]), as: UTF8.self)
                    try body(Token(text: text, range: index..<index + length, position: position))
                    position += 1
                    index += length
                    continue
                case .word, .upperWord:
                    break
                }
            }
            // A word starts at `index`.
            let start = index
            // Whether any character changes when lower-cased.
            var hasUpper = false
            var isASCII = true
            var apostrophes = 0
            wordLoop: while index < count {
                let byte = bytes[index]
                if byte < 0x80 {
                    let byteClass = asciiClass(byte)
                    if byteClass != 0 {
                        hasUpper = hasUpper || byteClass == 3
                        index += 1
                        continue
                    }
                    if byte == UInt8(ascii: "'"), wordContinues(bytes, at: index + 1) {
                        apostrophes += 1
                        index += 1
                        continue
                    }
                    break
                }
                let (scalar, length) = UTF8Decoding.decode(bytes, at: index)
                if scalar == "\u{2019}" {
                    guard wordContinues(bytes, at: index + length) else { break }
                    apostrophes += 1
                    isASCII = false
                    index += length
                    continue
                }
                switch classify(scalar) {
                case .word, .mark: break
                case .upperWord: hasUpper = true
                case .separator, .single: break wordLoop
                }
                isASCII = false
                index += length
            }
            let range = start..<index
            let word = UnsafeBufferPointer(rebasing: bytes[range])
            if let text = normalise(word, isASCII: isASCII, hasUpper: hasUpper, apostrophes: apostrophes) {
                try body(Token(text: text, range: range, position: position))
                position += 1
            }
        }
        return position
    }

    /// The lower-cased word without apostrophes, or nil when it is too long.
    private static func normalise(
        _ word: UnsafeBufferPointer<UInt8>, isASCII: Bool, hasUpper: Bool, apostrophes: Int
    ) -> String? {
        if isASCII {
            let length = word.count - apostrophes
            guard length <= maxWordBytes else { return nil }
            if !hasUpper && apostrophes == 0 { return String(decoding: word, as: UTF8.self) }
            return String(unsafeUninitializedCapacity: length) { out in
                var written = 0
                for byte in word where byte != UInt8(ascii: "'") {
                    out[written] = asciiClass(byte) == 3 ? byte | 0x20 : byte
                    written += 1
                }
                return written
            }
        }
        // Lower-casing shrinks a scalar by at most 3x (U+212A KELVIN SIGN -> "k"), so a
        // word this long cannot fit and is skipped without building it.
        guard word.count <= 3 * maxWordBytes + 3 * apostrophes else { return nil }
        let raw: String
        if apostrophes == 0 {
            raw = String(decoding: word, as: UTF8.self)
        } else {
            var scalars = String.UnicodeScalarView()
            for scalar in String(decoding: word, as: UTF8.self).unicodeScalars where scalar != "'" && scalar != "\u{2019}" {
                scalars.append(scalar)
            }
            raw = String(scalars)
        }
        let lowered = hasUpper ? raw.lowercased() : raw
        return lowered.utf8.count <= maxWordBytes ? lowered : nil
    }
}
