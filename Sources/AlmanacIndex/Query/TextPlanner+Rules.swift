import AlmanacCore

/// The catalogue's ranking rules on top of the matching query (docs/relevance.md): the
/// exact-name rule, the title rule and the proximity rule. They apply to a plain query —
/// words and phrases without `field:`, exclusions allowed, no `OR` — and only add weight:
/// `AND_MAYBE(main, names OR title OR pairs)`, the matches being the main query's (a named
/// product matches it: its id's words are indexed as text).
struct RankingRules: Sendable {
    /// Weight factor of the exact-name term per query word. The term is rare (one product
    /// per tenant), so its BM25 weight (with wdf 1 x scale: 1 / (k1 + 1) of the largest) is
    /// about the largest any query word can have; at 6 * (k1 + 1) per word it outweighs
    /// everything the other rules give a document (at most about 4.1 times a word's largest
    /// weight per word: exact 1, stem 1, prefix 0.5, correction 0.1, title 1, proximity 0.25
    /// for each of its two pairs).
    var nameScale = 6 * (ProductProjection.k1 + 1)
    /// The title rule's factor on the words' title-field stem weights.
    var titleScale = 1.0
    /// The proximity rule's factor on each adjacent pair's title-pair term weight.
    var proximityScale = 0.25
    /// Corrected names tried at most (single corrections first, then pairs).
    var maxNameCorrections = 24
    /// Adjacent pairs the proximity rule checks, and the longest query whose names are
    /// tried with two corrections (a 1 KiB query holds some 200 words).
    var maxPairs = 8

    static let products = RankingRules()
}

/// A query the ranking rules understand: its positive words in order, which phrase each
/// belongs to (nil: a loose word), and whether the last is a prefix.
struct PlainQuery {
    struct Word {
        var word: String
        var phrase: Int?
        var isPrefix: Bool
    }

    var words: [Word]

    init?(_ query: TextQuery) {
        var words: [Word] = []
        var phrases = 0
        func take(_ q: TextQuery) -> Bool {
            switch q {
            case .term(let t):
                guard t.field == nil else { return false }
                words.append(Word(word: t.word, phrase: nil, isPrefix: t.isPrefix))
            case .phrase(let p):
                guard p.field == nil else { return false }
                phrases += 1
                for w in p.words { words.append(Word(word: w, phrase: p.words.count > 1 ? phrases : nil, isPrefix: false)) }
            case .not:
                break
            case .and, .or:
                return false
            }
            return true
        }
        switch query {
        case .and(let children):
            for child in children where !take(child) { return nil }
        default:
            guard take(query) else { return nil }
        }
        guard !words.isEmpty else { return nil }
        self.words = words
    }
}

extension TextPlanner {
    /// `main` with the rules applied: `AND_MAYBE(main, names OR title OR proximity)`.
    mutating func applyRules(_ rules: RankingRules, to main: XapianQuery, query: TextQuery, stopWords: Set<String>) throws
        -> XapianQuery
    {
        guard let plain = PlainQuery(query) else { return main }
        var bonuses: [XapianQuery] = []
        let content = plain.words.filter { !stopWords.contains($0.word) }
        if !content.isEmpty { bonuses.append(try titleRule(content, scale: rules.titleScale)) }
        let pairs = zip(plain.words, plain.words.dropFirst()).filter { $0.0.phrase == nil || $0.0.phrase != $0.1.phrase }
        for (a, b) in pairs.prefix(rules.maxPairs) {
            bonuses.append(try .scaleWeight(.term(Terms.titlePairTerm(a.word, b.word)), rules.proximityScale))
        }
        bonuses.append(contentsOf: try nameRule(plain, rules))
        if bonuses.isEmpty { return main }
        return try .andMaybe(main, bonuses.count == 1 ? bonuses[0] : try .or(bonuses))
    }

    /// Every word in the title, as typed or by its stem: one term per word, the title's
    /// stem term (`ZS`), which every title word's document holds beside the word.
    private func titleRule(_ words: [PlainQuery.Word], scale: Double) throws -> XapianQuery {
        let title = Terms.titleText
        let parts = try words.map { w -> XapianQuery in
            let stem = stemmer.stem(w.word)
            return try .term(stem.isEmpty ? title + w.word : Terms.stemmed + title + stem)
        }
        return try .scaleWeight(parts.count == 1 ? parts[0] : try .and(parts), scale)
    }

    /// The `N` terms of the name the query spells, and of the names it spells with one or
    /// two of its words corrected (each weighted down by the edits it took).
    private mutating func nameRule(_ plain: PlainQuery, _ rules: RankingRules) throws -> [XapianQuery] {
        let words = plain.words.map(\.word)
        let scale = rules.nameScale * Double(words.count)
        var names = [try XapianQuery.scaleWeight(.term(ProductProjection.nameTerm(ProductProjection.nameKey(words))), scale)]
        guard let vocabulary else { return names }
        // Per word: its best corrections (distance, then frequency).
        var options: [[TypoTrie.Match]] = []
        for word in words {
            let edits = settings.typo.maxEdits(for: word)
            if edits > 0, TypoVocabulary.isEligible(word) {
                let found = corrections[word] ?? vocabulary.candidates(for: word, maxDistance: edits)
                options.append(Array(found.prefix(8)))
            } else {
                options.append([])
            }
        }
        var combos: [(replacements: [Int: TypoTrie.Match], cost: Double)] = []
        for i in words.indices {
            for (rank, c) in options[i].enumerated() { combos.append(([i: c], Double(c.distance) + 0.01 * Double(rank))) }
        }
        if words.count >= 2, words.count <= rules.maxPairs {
            for i in words.indices {
                for j in words.indices where j > i {
                    for (ri, a) in options[i].prefix(2).enumerated() {
                        for (rj, b) in options[j].prefix(2).enumerated() {
                            combos.append(([i: a, j: b], Double(a.distance + b.distance) + 0.01 * Double(ri + rj)))
                        }
                    }
                }
            }
        }
        combos.sort { $0.cost < $1.cost }
        combos = Array(combos.prefix(rules.maxNameCorrections))
        let terms = combos.map { combo in
            var corrected = words
            for (i, c) in combo.replacements { corrected[i] = c.word }
            return ProductProjection.nameTerm(ProductProjection.nameKey(corrected))
        }
        // Only names some product has: most corrections spell none.
        let known = vocabulary.knownNames(terms)
        for (combo, term) in zip(combos, terms) where known.contains(term) {
            guard nameCorrections[term] == nil else { continue }
            var map: [String: String] = [:]
            for (i, c) in combo.replacements { map[words[i]] = c.word }
            nameCorrections[term] = map
            names.append(try .scaleWeight(.term(term), scale / (1 + combo.cost)))
        }
        return names
    }
}
