import AlmanacCore

/// Plans a parsed `q` into a Xapian query: stemming by tenant language, synonyms, stop
/// words, per-word typo expansion over the index's own vocabulary and prefix matching of
/// the last word. Runs on the reader's thread (Xapian queries are not thread-safe).
///
/// Ranking intent: a word's exact and stemmed forms weigh fully, a prefix expansion half,
/// corrections one edit away a tenth and two edits away a fiftieth — so a document
/// matching the words as typed ranks above one that matches only through a correction, and
/// a nearer correction above a farther one (docs/relevance.md).
///
/// The prefix expansion and the corrections are each one `OP_SYNONYM` (weighted as a single
/// term with the summed within-document frequency) rather than an `OR` of their terms:
/// one weight per document instead of one per term. Measured on the 63k-product corpus
/// (docs/benchmarks.md), that took the plain query's p99 from 5.7 to 3.9 ms.
struct TextPlanner {
    /// Weight factor of the corrections `distance` edits away.
    static func typoScale(_ distance: Int) -> Double { distance <= 1 ? 0.1 : 0.02 }
    static let prefixScale = 0.5
    static let prefixExpansion: UInt32 = 64

    let stemmer: any Stemming
    let settings: SearchSettings
    /// nil: typo tolerance off.
    let vocabulary: TypoVocabulary?
    /// Field name -> term prefix (`title` -> `S`).
    let fieldPrefixes: [String: String]
    /// The catalogue's ranking rules (nil: matching and BM25 only, as for events).
    let rules: RankingRules?
    /// The most frequent terms starting with a prefix, at most n, for the last word's prefix
    /// expansion (nil: Xapian's wildcard expansion).
    let completions: ((String, Int) throws -> [String])?

    /// A correction of a query word: how far, and its place among the word's candidates
    /// (ordered by distance, then document frequency).
    struct Correction {
        var word: String
        var correction: String
        var distance: Int
        var rank: Int
    }

    /// Every term the query can match through a correction, with the word it corrects.
    private(set) var typoTerms: [String: Correction] = [:]
    /// Words that were expanded, and their exact-form terms.
    private(set) var exactTerms: [String: Set<String>] = [:]
    /// Each expanded word's typo candidates, best first.
    var corrections: [String: [TypoTrie.Match]] = [:]
    /// `N` terms of corrected names -> the corrections that spell them.
    var nameCorrections: [String: [String: String]] = [:]
    /// The planned query without the rules (which only add weight): the same matches,
    /// cheaper to count (set by `plan`).
    var matchOnly: XapianQuery?

    init(
        stemmer: any Stemming, settings: SearchSettings, vocabulary: TypoVocabulary?, fieldPrefixes: [String: String],
        rules: RankingRules? = nil, completions: ((String, Int) throws -> [String])? = nil
    ) {
        self.stemmer = stemmer
        self.settings = settings
        self.vocabulary = vocabulary
        self.fieldPrefixes = fieldPrefixes
        self.rules = rules
        self.completions = completions
    }

    /// nil when nothing remains (only stop words).
    mutating func plan(_ query: TextQuery) throws -> XapianQuery? {
        let stop = Set(settings.stopWords)
        let keepStopWords = query.positiveTerms.allSatisfy { stop.contains($0.word) }
        let stopWords = keepStopWords ? [] : stop
        guard let main = try node(query, stopWords: stopWords) else { return nil }
        matchOnly = main
        guard let rules else { return main }
        return try applyRules(rules, to: main, query: query, stopWords: stopWords)
    }

    private mutating func node(_ query: TextQuery, stopWords: Set<String>) throws -> XapianQuery? {
        switch query {
        case .term(let term):
            if stopWords.contains(term.word) && !term.isPrefix { return nil }
            return try word(term)
        case .phrase(let phrase):
            let prefix = phrase.field.flatMap { fieldPrefixes[$0] } ?? ""
            if phrase.words.count == 1 { return try .term(prefix + phrase.words[0]) }
            let exact = try XapianQuery.phrase(phrase.words.map { try .term(prefix + $0) })
            // A quoted multi-word synonym also matches its word.
            let keys = settings.phraseSynonymKeys(phrase.words)
            if keys.isEmpty { return exact }
            return try .or([exact] + keys.map { try synonymKey($0, prefix: prefix) })
        case .and(let children):
            var positive: [XapianQuery] = []
            var negative: [XapianQuery] = []
            var i = 0
            while i < children.count {
                let child = children[i]
                if case .not(let inner) = child {
                    if let q = try node(inner, stopWords: []) { negative.append(q) }
                } else if let (length, keys) = phraseSynonym(children, at: i) {
                    // Words that spell a multi-word synonym (`web server` for `webserver`):
                    // the words as typed, or the synonym's word.
                    let parts = try children[i..<(i + length)].compactMap { try node($0, stopWords: stopWords) }
                    var alternatives = try keys.map { try synonymKey($0, prefix: "") }
                    if !parts.isEmpty { alternatives.insert(parts.count == 1 ? parts[0] : try .and(parts), at: 0) }
                    positive.append(try .or(alternatives))
                    i += length
                    continue
                } else if let q = try node(child, stopWords: stopWords) {
                    positive.append(q)
                }
                i += 1
            }
            var result: XapianQuery
            if positive.isEmpty {
                if negative.isEmpty { return nil }
                result = .matchAll()
            } else {
                result = positive.count == 1 ? positive[0] : try .and(positive)
            }
            if !negative.isEmpty {
                result = try .andNot(result, negative.count == 1 ? negative[0] : try .or(negative))
            }
            return result
        case .or(let children):
            let parts = try children.compactMap { try node($0, stopWords: stopWords) }
            if parts.isEmpty { return nil }
            return parts.count == 1 ? parts[0] : try .or(parts)
        case .not(let inner):
            guard let q = try node(inner, stopWords: []) else { return nil }
            return try .andNot(.matchAll(), q)
        }
    }

    /// The longest run of plain words starting at `children[index]` that spells a
    /// multi-word synonym, and the words it is a synonym of.
    private func phraseSynonym(_ children: [TextQuery], at index: Int) -> (Int, [String])? {
        guard case .term(let first) = children[index], first.field == nil,
            let candidates = settings.phraseSynonyms[first.word]
        else { return nil }
        for candidate in candidates where index + candidate.words.count <= children.count {
            let matches = candidate.words.indices.allSatisfy { k in
                if case .term(let t) = children[index + k], t.field == nil, t.word == candidate.words[k] { return true }
                return false
            }
            if matches { return (candidate.words.count, candidate.keys) }
        }
        return nil
    }

    /// A synonym's word, as typed or by its stem.
    private func synonymKey(_ key: String, prefix: String) throws -> XapianQuery {
        let stem = stemmer.stem(key)
        if stem.isEmpty { return try .term(prefix + key) }
        return try .or([.term(prefix + key), .term(Terms.stemmed + prefix + stem)])
    }

    private mutating func word(_ term: TextTerm) throws -> XapianQuery {
        let prefix = term.field.flatMap { fieldPrefixes[$0] } ?? ""
        let word = term.word
        var exact = [try XapianQuery.term(prefix + word)]
        var exactSet: Set<String> = [prefix + word]
        let stem = stemmer.stem(word)
        if !stem.isEmpty, stem != word || prefix.isEmpty {
            exact.append(try .term(Terms.stemmed + prefix + stem))
            exactSet.insert(Terms.stemmed + prefix + stem)
        }
        for synonym in settings.synonyms[word] ?? [] {
            let words = synonym.split(separator: " ").map(String.init)
            if words.count == 1 {
                exact.append(try .term(prefix + words[0]))
                exact.append(try .term(Terms.stemmed + prefix + stemmer.stem(words[0])))
            } else {
                exact.append(try .phrase(words.map { try .term(prefix + $0) }))
            }
        }
        exactTerms[word, default: []].formUnion(exactSet)
        var parts = [exact.count == 1 ? exact[0] : try .or(exact)]
        if term.isPrefix, word.unicodeScalars.count >= 2 {
            if let completions {
                let terms = try completions(prefix + word, Int(Self.prefixExpansion))
                if !terms.isEmpty {
                    let group = try terms.map { try XapianQuery.term($0) }
                    parts.append(try .scaleWeight(group.count == 1 ? group[0] : try .synonym(group), Self.prefixScale))
                }
            } else {
                parts.append(
                    try .scaleWeight(
                        .wildcard(prefix: prefix + word, maxExpansion: Self.prefixExpansion, limit: .mostFrequent, combiner: .synonym),
                        Self.prefixScale))
            }
        }
        if let vocabulary {
            let edits = settings.typo.maxEdits(for: word)
            if edits > 0, TypoVocabulary.isEligible(word) {
                // One term per candidate stem: the indexer adds every word's `Z` stem next to
                // it, so the stem term matches every document the word itself does (and its
                // other forms). Half the posting lists of word + stem, which is most of what a
                // correction costs the match (see docs/benchmarks.md, typo expansion).
                // One group per distance, each weighted below the one before: a document
                // matching through one edit ranks above one matching only through two.
                var byDistance: [[XapianQuery]] = Array(repeating: [], count: edits + 1)
                let candidates = corrections[word] ?? vocabulary.candidates(for: word, maxDistance: edits)
                corrections[word] = candidates
                for (rank, candidate) in candidates.enumerated() {
                    let candidateStem = stemmer.stem(candidate.word)
                    // The same stem as the query word's: already matched exactly.
                    if candidateStem == stem { continue }
                    let term = candidateStem.isEmpty ? prefix + candidate.word : Terms.stemmed + prefix + candidateStem
                    guard typoTerms[term] == nil else { continue }
                    typoTerms[term] = Correction(word: word, correction: candidate.word, distance: candidate.distance, rank: rank)
                    byDistance[candidate.distance].append(try .term(term))
                }
                for distance in 1...edits where !byDistance[distance].isEmpty {
                    let group = byDistance[distance]
                    parts.append(try .scaleWeight(group.count == 1 ? group[0] : try .synonym(group), Self.typoScale(distance)))
                }
            }
        }
        return parts.count == 1 ? parts[0] : try .or(parts)
    }

    /// The corrected query text when the given matching terms show that a word matched only
    /// through a correction; nil otherwise. When the hit matches several corrections of a
    /// word, the nearest and most frequent one names it.
    func correctedQuery(_ query: TextQuery, matchingTerms: [String]) -> String? {
        let matched = Set(matchingTerms)
        // A hit found by a corrected name: that correction, whatever else it matched.
        if let name = matchingTerms.first(where: { nameCorrections[$0] != nil }) {
            return Self.replacingWords(query, nameCorrections[name]!, inPhrases: true).queryText
        }
        var best: [String: Correction] = [:]
        for term in matchingTerms {
            guard let correction = typoTerms[term] else { continue }
            let exact = exactTerms[correction.word] ?? []
            guard exact.isDisjoint(with: matched) else { continue }
            if let current = best[correction.word], current.rank <= correction.rank { continue }
            best[correction.word] = correction
        }
        guard !best.isEmpty else { return nil }
        return Self.replacingWords(query, best.mapValues(\.correction)).queryText
    }

    static func replacingWords(_ query: TextQuery, _ map: [String: String], inPhrases: Bool = false) -> TextQuery {
        switch query {
        case .term(var t):
            if let r = map[t.word] { t.word = r }
            return .term(t)
        case .phrase(var p):
            if inPhrases { p.words = p.words.map { map[$0] ?? $0 } }
            return .phrase(p)
        case .and(let c): return .and(c.map { replacingWords($0, map, inPhrases: inPhrases) })
        case .or(let c): return .or(c.map { replacingWords($0, map, inPhrases: inPhrases) })
        case .not(let q): return .not(replacingWords(q, map, inPhrases: inPhrases))
        }
    }
}
