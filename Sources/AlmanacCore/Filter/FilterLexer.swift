/// A token of the filter language.
public struct FilterToken: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        /// A field path: `name ("." name)*` where a name starts with a letter or `_` and
        /// continues with letters, digits, `_` or `-` (letters and digits may be non-ASCII).
        case name(String)
        /// `AND`, `OR`, `NOT`, `IN`, `TO`, `EXISTS`, `true`, `false`, in any letter case.
        case keyword(FilterKeyword)
        /// A number literal, already classified as `.integer` or `.number`.
        case number(FilterValue)
        /// A double-quoted string with its escapes resolved.
        case string(String)
        case op(FilterOperator)
        case leftParen, rightParen, leftBracket, rightBracket, comma
        case end
    }

    public var kind: Kind
    /// UTF-8 byte offsets of the token in the filter text.
    public var byteRange: Range<Int>
    /// 1-based character (extended grapheme cluster) position of the token's first byte.
    public var position: Int
}

public enum FilterKeyword: String, Sendable, Hashable, CaseIterable {
    case and = "AND", or = "OR", not = "NOT", `in` = "IN", to = "TO", exists = "EXISTS"
    case `true` = "true", `false` = "false"
}

/// Maps UTF-8 byte offsets of a text to 1-based character positions, counting extended
/// grapheme clusters (Swift `Character`s), which is what a person counts. ASCII text maps
/// byte offset `b` to `b + 1` without any table.
struct SourcePositions: Sendable {
    /// Byte offsets at which a `Character` starts; nil when the text is ASCII.
    private let characterStarts: [Int]?
    let byteCount: Int

    init(_ text: String, bytes: [UInt8]) {
        byteCount = bytes.count
        if bytes.allSatisfy({ $0 < 0x80 }) {
            characterStarts = nil
        } else {
            var starts: [Int] = []
            starts.reserveCapacity(bytes.count)
            var index = text.startIndex
            while index < text.endIndex {
                starts.append(text.utf8.distance(from: text.startIndex, to: index))
                index = text.index(after: index)
            }
            characterStarts = starts
        }
    }

    /// The 1-based character position of the character containing byte `offset`; the end
    /// of the text is one past the last character.
    func position(ofByte offset: Int) -> Int {
        guard let starts = characterStarts else { return offset + 1 }
        if offset >= byteCount { return starts.count + 1 }
        // Number of character starts <= offset.
        var low = 0
        var high = starts.count
        while low < high {
            let mid = (low + high) / 2
            if starts[mid] <= offset { low = mid + 1 } else { high = mid }
        }
        return max(low, 1)
    }
}

/// Splits filter text into tokens on demand (the parser pulls them one at a time, so the
/// first error in reading order is the one reported).
///
/// Whitespace is ASCII space, tab, CR, LF and any Unicode whitespace. Everything the
/// grammar does not know is an `AlmanacError(.invalidFilter, ...)` naming the position.
public struct FilterLexer: Sendable {
    let bytes: [UInt8]
    let positions: SourcePositions
    private var offset = 0

    public init(_ text: String) {
        bytes = Array(text.utf8)
        positions = SourcePositions(text, bytes: bytes)
    }

    /// All tokens of `text`, ending with `.end`.
    public static func tokenize(_ text: String) throws(AlmanacError) -> [FilterToken] {
        var lexer = FilterLexer(text)
        var tokens: [FilterToken] = []
        while true {
            let token = try lexer.next()
            tokens.append(token)
            if token.kind == .end { return tokens }
        }
    }

    func position(ofByte offset: Int) -> Int { positions.position(ofByte: offset) }

    /// The source text of a token, shortened for error messages.
    func sourceText(_ range: Range<Int>) -> String {
        let clamped = range.clamped(to: 0..<bytes.count)
        let text = String(decoding: bytes[clamped], as: UTF8.self)
        return text.count > 40 ? String(text.prefix(40)) + "…" : text
    }

    /// How a token reads in an error message: `'OR'`, `end of filter`.
    func describe(_ token: FilterToken) -> String {
        token.kind == .end ? "the end of the filter" : "'\(sourceText(token.byteRange))'"
    }

    /// The next token; `.end` (repeatedly) once the text is consumed.
    public mutating func next() throws(AlmanacError) -> FilterToken {
        skipWhitespace()
        let start = offset
        guard start < bytes.count else { return make(.end, start) }
        let byte = bytes[start]
        switch byte {
        case UInt8(ascii: "("): offset += 1; return make(.leftParen, start)
        case UInt8(ascii: ")"): offset += 1; return make(.rightParen, start)
        case UInt8(ascii: "["): offset += 1; return make(.leftBracket, start)
        case UInt8(ascii: "]"): offset += 1; return make(.rightBracket, start)
        case UInt8(ascii: ","): offset += 1; return make(.comma, start)
        case UInt8(ascii: "="): offset += 1; return make(.op(.equal), start)
        case UInt8(ascii: "<"), UInt8(ascii: ">"):
            offset += 1
            let orEqual = offset < bytes.count && bytes[offset] == UInt8(ascii: "=")
            if orEqual { offset += 1 }
            let op: FilterOperator = byte == UInt8(ascii: "<") ? (orEqual ? .lessOrEqual : .less) : (orEqual ? .greaterOrEqual : .greater)
            return make(.op(op), start)
        case UInt8(ascii: "!"):
            guard start + 1 < bytes.count, bytes[start + 1] == UInt8(ascii: "=") else {
                throw Self.error("unexpected character '!' at position \(position(ofByte: start)); did you mean '!=' or NOT?")
            }
            offset += 2
            return make(.op(.notEqual), start)
        case UInt8(ascii: "\""):
            return try lexString()
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return try lexNumber()
        default:
            if isNameStart(at: start) { return try lexName() }
            let (scalar, _) = decode(at: start)
            throw Self.error("unexpected character '\(scalar.escaped(asASCII: false))' at position \(position(ofByte: start))")
        }
    }

    static func error(_ detail: String) -> AlmanacError {
        AlmanacError(.invalidFilter, detail)
    }

    // MARK: - Pieces

    private func make(_ kind: FilterToken.Kind, _ start: Int) -> FilterToken {
        FilterToken(kind: kind, byteRange: start..<offset, position: position(ofByte: start))
    }

    private func decode(at index: Int) -> (scalar: Unicode.Scalar, length: Int) {
        UTF8Decoding.decode(bytes, at: index)
    }

    private mutating func skipWhitespace() {
        while offset < bytes.count {
            let byte = bytes[offset]
            if byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D {
                offset += 1
            } else if byte >= 0x80 {
                let (scalar, length) = decode(at: offset)
                guard scalar.properties.isWhitespace else { return }
                offset += length
            } else {
                return
            }
        }
    }

    private func isNameStart(at index: Int) -> Bool {
        guard index < bytes.count else { return false }
        let byte = bytes[index]
        if byte < 0x80 {
            return (byte | 0x20) >= UInt8(ascii: "a") && (byte | 0x20) <= UInt8(ascii: "z") || byte == UInt8(ascii: "_")
        }
        return decode(at: index).scalar.properties.isAlphabetic
    }

    /// The length of the name character at `index`, or 0 when it is not one.
    private func nameCharacterLength(at index: Int) -> Int {
        guard index < bytes.count else { return 0 }
        let byte = bytes[index]
        if byte < 0x80 {
            let lower = byte | 0x20
            let isName = (lower >= UInt8(ascii: "a") && lower <= UInt8(ascii: "z"))
                || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
                || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
            return isName ? 1 : 0
        }
        let (scalar, length) = decode(at: index)
        let properties = scalar.properties
        if properties.isAlphabetic { return length }
        switch properties.generalCategory {
        case .decimalNumber, .letterNumber, .otherNumber, .nonspacingMark, .spacingMark, .enclosingMark:
            return length
        default:
            return 0
        }
    }

    private mutating func lexName() throws(AlmanacError) -> FilterToken {
        let start = offset
        var dotted = false
        while true {
            // One name: a start character then name characters.
            while true {
                let length = nameCharacterLength(at: offset)
                if length == 0 { break }
                offset += length
            }
            guard offset < bytes.count, bytes[offset] == UInt8(ascii: ".") else { break }
            guard isNameStart(at: offset + 1) else {
                throw Self.error("expected a name after '.' at position \(position(ofByte: offset + 1))")
            }
            dotted = true
            offset += 1
        }
        let text = String(decoding: bytes[start..<offset], as: UTF8.self)
        if !dotted, text.utf8.count <= 6, let keyword = FilterKeyword.matching(text) {
            return make(.keyword(keyword), start)
        }
        return make(.name(text), start)
    }

    private mutating func lexString() throws(AlmanacError) -> FilterToken {
        let start = offset
        offset += 1
        var content: [UInt8] = []
        while offset < bytes.count {
            let byte = bytes[offset]
            if byte == UInt8(ascii: "\"") {
                offset += 1
                return make(.string(String(decoding: content, as: UTF8.self)), start)
            }
            if byte == UInt8(ascii: "\\") {
                guard offset + 1 < bytes.count else { break }
                let escaped = bytes[offset + 1]
                guard escaped == UInt8(ascii: "\"") || escaped == UInt8(ascii: "\\") else {
                    let (scalar, _) = decode(at: offset + 1)
                    throw Self.error(
                        "invalid escape '\\\(scalar.escaped(asASCII: false))' at position \(position(ofByte: offset)); only \\\" and \\\\ are allowed in strings"
                    )
                }
                content.append(escaped)
                offset += 2
                continue
            }
            content.append(byte)
            offset += 1
        }
        throw Self.error("unterminated string starting at position \(position(ofByte: start))")
    }

    private func isDigit(_ index: Int) -> Bool {
        index < bytes.count && bytes[index] >= UInt8(ascii: "0") && bytes[index] <= UInt8(ascii: "9")
    }

    private mutating func skipDigits() {
        while isDigit(offset) { offset += 1 }
    }

    private mutating func lexNumber() throws(AlmanacError) -> FilterToken {
        let start = offset
        if bytes[offset] == UInt8(ascii: "-") {
            offset += 1
            guard isDigit(offset) else {
                throw Self.error("expected a digit after '-' at position \(position(ofByte: offset))")
            }
        }
        skipDigits()
        var isInteger = true
        if offset < bytes.count, bytes[offset] == UInt8(ascii: ".") {
            guard isDigit(offset + 1) else {
                throw Self.error("malformed number '\(sourceText(start..<offset + 1))' at position \(position(ofByte: start)): expected a digit after '.'")
            }
            offset += 1
            skipDigits()
            isInteger = false
        }
        if offset < bytes.count, bytes[offset] | 0x20 == UInt8(ascii: "e") {
            var exponent = offset + 1
            if exponent < bytes.count, bytes[exponent] == UInt8(ascii: "+") || bytes[exponent] == UInt8(ascii: "-") {
                exponent += 1
            }
            guard isDigit(exponent) else {
                throw Self.error("malformed number '\(sourceText(start..<exponent))' at position \(position(ofByte: start)): expected a digit in the exponent")
            }
            offset = exponent
            skipDigits()
            isInteger = false
        }
        if nameCharacterLength(at: offset) > 0 || (offset < bytes.count && bytes[offset] == UInt8(ascii: ".")) {
            var end = offset
            while end < bytes.count, nameCharacterLength(at: end) > 0 || bytes[end] == UInt8(ascii: ".") {
                end += max(nameCharacterLength(at: end), 1)
            }
            throw Self.error("malformed number '\(sourceText(start..<end))' at position \(position(ofByte: start))")
        }
        let text = String(decoding: bytes[start..<offset], as: UTF8.self)
        if isInteger, let integer = Int64(text) {
            return make(.number(.integer(integer)), start)
        }
        guard let number = Double(text), number.isFinite else {
            throw Self.error("number '\(sourceText(start..<offset))' at position \(position(ofByte: start)) is out of range")
        }
        return make(.number(.number(number)), start)
    }
}

extension FilterKeyword {
    /// The keyword spelled by `word` in any ASCII letter case (only ASCII: `ın` with a
    /// dotless i is a name, not `IN`).
    static func matching(_ word: String) -> FilterKeyword? {
        guard word.utf8.allSatisfy({ $0 < 0x80 }) else { return nil }
        return switch word.uppercased() {
        case "AND": .and
        case "OR": .or
        case "NOT": .not
        case "IN": .in
        case "TO": .to
        case "EXISTS": .exists
        case "TRUE": .true
        case "FALSE": .false
        default: nil
        }
    }
}
