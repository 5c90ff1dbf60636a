/// A parsed free-text query (`q=`), as `TextQueryParser` produces it.
///
/// Words are already normalised by `Tokenizer` (lower-cased, apostrophes dropped), so
/// they compare directly with indexed terms; stemming, synonyms, stop words and typo
/// tolerance are the planner's business.
public indirect enum TextQuery: Sendable, Hashable {
    /// One word.
    case term(TextTerm)
    /// Words that must appear next to each other, in order. A quoted single word is a
    /// one-word phrase: an exact word (no prefix, and the planner may skip typo
    /// tolerance for it).
    case phrase(TextPhrase)
    /// All of the parts (at least two, none itself an `.and`).
    case and([TextQuery])
    /// Any of the parts (at least two, none itself an `.or`).
    case or([TextQuery])
    /// Exclusion (`-word`, `NOT word`): inside `.and` it means "and not"; a query that is
    /// only an exclusion means "everything except", which the planner may refuse or
    /// answer over all documents.
    case not(TextQuery)
}

public struct TextTerm: Sendable, Hashable {
    /// The normalised word.
    public var word: String
    /// The field it is restricted to (`title:word`), or nil for all text.
    public var field: String?
    /// The last word of a query still being typed: also matches as a prefix.
    public var isPrefix: Bool

    public init(word: String, field: String? = nil, isPrefix: Bool = false) {
        self.word = word
        self.field = field
        self.isPrefix = isPrefix
    }
}

public struct TextPhrase: Sendable, Hashable {
    /// The normalised words, at least one.
    public var words: [String]
    public var field: String?

    public init(words: [String], field: String? = nil) {
        self.words = words
        self.field = field
    }
}

extension TextQuery {
    /// The terms a match shows, for highlighting: every term and every phrase word outside
    /// an exclusion (phrase words as non-prefix terms), in query order.
    public var positiveTerms: [TextTerm] {
        var result: [TextTerm] = []
        collectPositive(into: &result)
        return result
    }

    private func collectPositive(into result: inout [TextTerm]) {
        switch self {
        case .term(let term):
            result.append(term)
        case .phrase(let phrase):
            for word in phrase.words { result.append(TextTerm(word: word, field: phrase.field)) }
        case .and(let children), .or(let children):
            for child in children { child.collectPositive(into: &result) }
        case .not:
            break
        }
    }

    /// Query text that parses back to this query (prefix flags aside, which follow from
    /// where the text ends): words bare, phrases quoted, `field:`, `-` for exclusions,
    /// ` OR ` between alternatives and parentheses where needed. Suits `query.corrected`.
    public var queryText: String {
        var out = ""
        write(into: &out, markPrefixes: false)
        return out
    }

    private func write(into out: inout String, markPrefixes: Bool) {
        switch self {
        case .term(let term):
            if let field = term.field { out += field + ":" }
            out += term.word
            if markPrefixes && term.isPrefix { out += "*" }
        case .phrase(let phrase):
            if let field = phrase.field { out += field + ":" }
            out += "\"" + phrase.words.joined(separator: " ") + "\""
        case .and(let children):
            for (index, child) in children.enumerated() {
                if index > 0 { out += " " }
                child.writeOperand(into: &out, markPrefixes: markPrefixes, parenthesise: { if case .or = $0 { true } else if case .and = $0 { true } else { false } })
            }
        case .or(let children):
            for (index, child) in children.enumerated() {
                if index > 0 { out += " OR " }
                child.writeOperand(into: &out, markPrefixes: markPrefixes, parenthesise: { if case .or = $0 { true } else { false } })
            }
        case .not(let operand):
            out += "-"
            operand.writeOperand(into: &out, markPrefixes: markPrefixes, parenthesise: { if case .and = $0 { true } else if case .or = $0 { true } else if case .not = $0 { true } else { false } })
        }
    }

    private func writeOperand(into out: inout String, markPrefixes: Bool, parenthesise: (TextQuery) -> Bool) {
        if parenthesise(self) {
            out += "("
            write(into: &out, markPrefixes: markPrefixes)
            out += ")"
        } else {
            write(into: &out, markPrefixes: markPrefixes)
        }
    }
}

extension TextQuery: CustomStringConvertible {
    /// Like `queryText`, with prefix terms marked `*` (`red kett*`): for logs and tests.
    public var description: String {
        var out = ""
        write(into: &out, markPrefixes: true)
        return out
    }
}
