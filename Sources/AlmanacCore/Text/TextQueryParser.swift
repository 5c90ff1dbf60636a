/// Parses the free-text query syntax of `q` (API.md): words, `"quoted phrases"`,
/// `AND` / `OR` / `NOT` (upper-case only; `and`, `or`, `not` are words), `-word` and
/// `-"phrase"` to exclude, `field:word` and `field:"phrase"` for the caller's fields,
/// and parentheses.
///
/// ```
/// query   := or
/// or      := and ("OR" and)*
/// and     := unary (["AND"] unary)*        -- adjacency means AND
/// unary   := ("NOT" | "-") unary | [field ":"] primary
/// primary := word | '"' phrase '"' | "(" query ")"
/// ```
///
/// So `NOT`/`-` bind tightest and `OR` loosest: `a b OR c` is `(a AND b) OR c`, and
/// `a NOT b` is `a AND NOT b`.
///
/// It never fails: an unclosed quote or parenthesis closes at the end of `q`, an
/// unmatched `)` and operators with nothing to act on (`AND` first, `OR` last, `NOT` or
/// `-` at the end, `title:` with nothing after it) are dropped, as are words with no
/// letters or digits. Parentheses deeper than `maxDepth` are ignored, so recursion is
/// bounded on any input; the work is linear in the length of `q`, whose 1 KiB limit the
/// caller checks.
///
/// Details:
/// - Words are normalised by `Tokenizer`; a query word that tokenizes into several words
///   (`python3-foo`, `e-mail`, `foo:bar` for an unknown field) is a phrase of the parts.
/// - `field:` is recognised for the given field names, case-insensitively, and reported
///   with the caller's spelling. It applies to a word, a phrase or a parenthesised group.
/// - `-` excludes only at the start of a word (after whitespace, `(` or the start);
///   inside a word it is a separator. A doubled negation (`NOT -a`) cancels out.
/// - Quotes are `"` and the typographic `“` `”`.
/// - The last word is flagged `isPrefix` when it is a plain single word (not quoted,
///   not excluded) whose last character is the last character of `q`, a letter or
///   digit: `red kett` flags `kett`; `red kett ` and `red kett!` flag nothing.
public struct TextQueryParser: Sendable {
    /// Field names usable as `field:`, in the caller's spelling.
    public let fields: [String]
    /// How many parentheses may nest before further ones are ignored.
    public let maxDepth: Int

    private let fieldsByLowercasedName: [String: String]

    public init(fields: [String] = [], maxDepth: Int = 32) {
        self.fields = fields
        self.maxDepth = maxDepth
        var byName: [String: String] = [:]
        for field in fields { byName[field.lowercased()] = field }
        fieldsByLowercasedName = byName
    }

    /// The fields products offer to `q`: `title`, `brand`.
    public static let products = TextQueryParser(fields: ["title", "brand"])
    /// Events: `q` searches `message` only, so no `field:` syntax.
    public static let events = TextQueryParser(fields: [])

    /// The query, or nil when `q` holds nothing searchable (empty, only punctuation or
    /// only operators): callers treat that like an absent `q`.
    public func parse(_ q: String) -> TextQuery? {
        var state = ParseState(items: lex(q), maxDepth: maxDepth)
        var parts: [TextQuery] = []
        while !state.atEnd {
            if let part = state.parseOr(depth: 0, field: nil) { parts.append(part) }
            // parseOr stops only at the end or at an unmatched ')', which is dropped.
            if !state.atEnd { state.index += 1 }
        }
        return TextQuery.combine(parts, and: true)
    }

    // MARK: - Lexer

    enum Item: Equatable {
        /// A bare word as written; `endsQuery` when its last character ends `q`.
        case word(String, endsQuery: Bool)
        case phrase(String)
        case open, close
        case and, or, not
        /// `-` attached to what follows.
        case minus
        /// `field:` attached to what follows (the caller's spelling).
        case field(String)
    }

    private static func isQuote(_ scalar: Unicode.Scalar) -> Bool {
        scalar == "\"" || scalar == "\u{201C}" || scalar == "\u{201D}"
    }

    private static func isWhitespace(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x80 ? (scalar == " " || (0x09...0x0D).contains(scalar.value)) : scalar.properties.isWhitespace
    }

    func lex(_ q: String) -> [Item] {
        let scalars = Array(q.unicodeScalars)
        let count = scalars.count
        var items: [Item] = []
        var index = 0
        func text(_ range: Range<Int>) -> String {
            var view = String.UnicodeScalarView()
            view.append(contentsOf: scalars[range])
            return String(view)
        }
        func isBoundary(_ index: Int) -> Bool {
            index == 0 || Self.isWhitespace(scalars[index - 1]) || scalars[index - 1] == "("
        }
        while index < count {
            let scalar = scalars[index]
            if Self.isWhitespace(scalar) {
                index += 1
            } else if scalar == "(" {
                items.append(.open)
                index += 1
            } else if scalar == ")" {
                items.append(.close)
                index += 1
            } else if Self.isQuote(scalar) {
                let start = index + 1
                var end = start
                while end < count, !Self.isQuote(scalars[end]) { end += 1 }
                items.append(.phrase(text(start..<end)))
                index = min(end + 1, count)
            } else {
                let start = index
                while index < count, !Self.isWhitespace(scalars[index]), scalars[index] != "(", scalars[index] != ")", !Self.isQuote(scalars[index]) {
                    index += 1
                }
                let nextOpensGroupOrPhrase = index < count && (scalars[index] == "(" || Self.isQuote(scalars[index]))
                var bodyStart = start
                if index - start == 3 || index - start == 2 {
                    switch text(start..<index) {
                    case "AND": items.append(.and); continue
                    case "OR": items.append(.or); continue
                    case "NOT": items.append(.not); continue
                    default: break
                    }
                }
                var excluded = false
                if scalars[start] == "-", isBoundary(start), index - start > 1 || nextOpensGroupOrPhrase {
                    excluded = true
                    bodyStart += 1
                }
                var field: String?
                if let colon = scalars[bodyStart..<index].firstIndex(of: ":"),
                    let name = fieldsByLowercasedName[text(bodyStart..<colon).lowercased()]
                {
                    // `title:` with nothing after it is attached to a following phrase or
                    // group; otherwise the whole chunk (with any `-`) is dropped.
                    guard colon + 1 < index || nextOpensGroupOrPhrase else { continue }
                    field = name
                    bodyStart = colon + 1
                }
                if excluded { items.append(.minus) }
                if let field { items.append(.field(field)) }
                if bodyStart < index {
                    items.append(.word(text(bodyStart..<index), endsQuery: index == count))
                }
            }
        }
        return items
    }
}

private struct ParseState {
    let items: [TextQueryParser.Item]
    let maxDepth: Int
    var index = 0

    init(items: [TextQueryParser.Item], maxDepth: Int) {
        self.items = items
        self.maxDepth = maxDepth
    }

    var atEnd: Bool { index >= items.count }
    var peek: TextQueryParser.Item? { index < items.count ? items[index] : nil }

    mutating func parseOr(depth: Int, field: String?) -> TextQuery? {
        var parts: [TextQuery] = []
        if let first = parseAnd(depth: depth, field: field) { parts.append(first) }
        while peek == .or {
            index += 1
            if let next = parseAnd(depth: depth, field: field) { parts.append(next) }
        }
        return TextQuery.combine(parts, and: false)
    }

    mutating func parseAnd(depth: Int, field: String?) -> TextQuery? {
        var parts: [TextQuery] = []
        loop: while let item = peek {
            switch item {
            case .or, .close:
                break loop
            case .and:
                index += 1
            default:
                if let part = parseUnary(depth: depth, field: field) { parts.append(part) }
            }
        }
        return TextQuery.combine(parts, and: true)
    }

    /// Always consumes at least one item when called on a non-terminal.
    mutating func parseUnary(depth: Int, field: String?) -> TextQuery? {
        var negated = false
        var field = field
        while let item = peek {
            switch item {
            case .not, .minus:
                negated.toggle()
                index += 1
                continue
            case .field(let name):
                field = name
                index += 1
                continue
            default:
                break
            }
            break
        }
        guard let primary = parsePrimary(depth: depth, field: field, allowPrefix: !negated) else { return nil }
        return negated ? .not(primary) : primary
    }

    mutating func parsePrimary(depth: Int, field: String?, allowPrefix: Bool) -> TextQuery? {
        guard let item = peek else { return nil }
        switch item {
        case .word(let text, let endsQuery):
            index += 1
            let tokens = Tokenizer.tokens(in: text)
            switch tokens.count {
            case 0:
                return nil
            case 1:
                let isPrefix = allowPrefix && endsQuery && tokens[0].range.upperBound == text.utf8.count
                return .term(TextTerm(word: tokens[0].text, field: field, isPrefix: isPrefix))
            default:
                return .phrase(TextPhrase(words: tokens.map(\.text), field: field))
            }
        case .phrase(let text):
            index += 1
            let words = Tokenizer.words(text)
            return words.isEmpty ? nil : .phrase(TextPhrase(words: words, field: field))
        case .open:
            index += 1
            if depth >= maxDepth {
                // Too deep: the parenthesis is dropped (and with it any NOT or `-` before
                // it); the caller's loop reads the content inline. No recursion here, so
                // any run of `(` is safe.
                return nil
            }
            let inner = parseOr(depth: depth + 1, field: field)
            if peek == .close { index += 1 }
            return inner
        case .close, .or, .and:
            // An operator with nothing to act on: left for the caller, which drops it.
            return nil
        case .not, .minus, .field:
            return parseUnary(depth: depth, field: field)
        }
    }
}

extension TextQuery {
    /// Joins parts with AND or OR, flattening nested nodes of the same kind; nil for none.
    static func combine(_ parts: [TextQuery], and isAnd: Bool) -> TextQuery? {
        var flat: [TextQuery] = []
        for part in parts {
            switch (part, isAnd) {
            case (.and(let children), true), (.or(let children), false): flat.append(contentsOf: children)
            default: flat.append(part)
            }
        }
        switch flat.count {
        case 0: return nil
        case 1: return flat[0]
        default: return isAnd ? .and(flat) : .or(flat)
        }
    }
}
