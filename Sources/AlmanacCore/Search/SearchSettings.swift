/// A tenant's search settings (API.md, "Per-tenant search settings").
public struct SearchSettings: Sendable, Equatable {
    public struct Typo: Sendable, Equatable {
        /// Words of at least this many characters match one edit away.
        public var minWord1 = 5
        /// Words of at least this many characters match two edits away.
        public var minWord2 = 9
        public init(minWord1: Int = 5, minWord2: Int = 9) {
            self.minWord1 = minWord1
            self.minWord2 = minWord2
        }

        /// Edits allowed for a query word (0 for short words and words with a digit).
        public func maxEdits(for word: String) -> Int {
            if word.unicodeScalars.contains(where: { $0.properties.numericType != nil }) { return 0 }
            let n = word.unicodeScalars.count
            if n >= minWord2 { return 2 }
            if n >= minWord1 { return 1 }
            return 0
        }
    }

    /// A multi-word synonym seen from its words: `web server` -> `webserver`.
    public struct PhraseSynonym: Sendable, Equatable {
        public var words: [String]
        public var keys: [String]
    }

    public var language = "english"
    /// Word -> words that also match it. A single-word synonym works one direction (list
    /// both ways for symmetric synonyms); a multi-word one (`"webserver": ["web server"]`)
    /// matches as a phrase, and its words typed together also match the word.
    public var synonyms: [String: [String]] = [:] {
        didSet { phraseSynonyms = Self.phraseSynonyms(synonyms) }
    }
    /// The multi-word synonyms by their first word, longest first.
    public private(set) var phraseSynonyms: [String: [PhraseSynonym]] = [:]

    static func phraseSynonyms(_ synonyms: [String: [String]]) -> [String: [PhraseSynonym]] {
        var byWords: [[String]: [String]] = [:]
        for (key, values) in synonyms {
            for value in values {
                let words = value.split(separator: " ").map(String.init)
                if words.count >= 2 { byWords[words, default: []].append(key) }
            }
        }
        var result: [String: [PhraseSynonym]] = [:]
        for (words, keys) in byWords { result[words[0], default: []].append(PhraseSynonym(words: words, keys: keys.sorted())) }
        for key in result.keys {
            result[key]!.sort { $0.words.count != $1.words.count ? $0.words.count > $1.words.count : $0.words.lexicographicallyPrecedes($1.words) }
        }
        return result
    }

    static func tieBreak(_ text: String) -> Ranking.TieBreak? {
        var name = Substring(text)
        var descending = true
        if name.hasSuffix(":desc") {
            name = name.dropLast(5)
        } else if name.hasSuffix(":asc") {
            name = name.dropLast(4)
            descending = false
        }
        guard name.hasPrefix("attributes.") else { return nil }
        let attribute = name.dropFirst("attributes.".count)
        guard !attribute.isEmpty, attribute.count <= 128, !attribute.contains(":") else { return nil }
        return Ranking.TieBreak(attribute: String(attribute), descending: descending)
    }

    /// The words a quoted phrase is a multi-word synonym of.
    public func phraseSynonymKeys(_ words: [String]) -> [String] {
        phraseSynonyms[words.first ?? ""]?.first { $0.words == words }?.keys ?? []
    }
    public var stopWords: [String] = []
    public var typo = Typo()
    /// Whether the tenant's product searches are recorded on its own timeline
    /// (`search.performed` events, API.md "Search analytics").
    public var analytics = true
    /// Business signals in the order of hits (`"ranking"`; nil: text relevance alone).
    public var ranking: Ranking?

    /// `{"tie_break": "attributes.popularity:desc"}`: a numeric attribute that orders hits
    /// whose text scores tie within a small band (`band`), as Algolia's custom ranking does
    /// after its textual criteria (docs/relevance.md, rule 6).
    public struct Ranking: Sendable, Equatable {
        public struct TieBreak: Sendable, Equatable {
            /// The attribute's name (after `attributes.`).
            public var attribute: String
            public var descending: Bool
            public init(attribute: String, descending: Bool) {
                self.attribute = attribute
                self.descending = descending
            }
            public var text: String { "attributes.\(attribute):\(descending ? "desc" : "asc")" }
        }

        public var tieBreak: TieBreak?
        public init(tieBreak: TieBreak?) { self.tieBreak = tieBreak }

        /// Hits whose scores lie within this fraction of the best score of their run tie:
        /// walking down the relevance order, a run starts at a hit and takes every following
        /// hit scoring at least (1 - band) times the first; inside a run the attribute orders.
        public static let band = 0.05

        public var json: JSONValue { ["tie_break": tieBreak.map { .string($0.text) } ?? .null] }
    }

    public init() {}

    public static let `default` = SearchSettings()

    public var json: JSONValue {
        var syn = JSONObject()
        for key in synonyms.keys.sorted() { syn[key] = .array(synonyms[key]!.map { .string($0) }) }
        return [
            "language": .string(language),
            "synonyms": .object(syn),
            "stop_words": .array(stopWords.map { .string($0) }),
            "typo": ["min_word_1": .int(Int64(typo.minWord1)), "min_word_2": .int(Int64(typo.minWord2))],
            "analytics": .bool(analytics),
            "ranking": ranking?.json ?? .null,
        ]
    }

    /// Validates a `PUT /v1/settings` body; `languages` are the stemmer names available.
    public init(json value: JSONValue, languages: Set<String>) throws(AlmanacError) {
        guard case .object(let o) = value else {
            throw AlmanacError(.validation, "settings must be a JSON object, got \(value.typeDescription)")
        }
        var errors: [AlmanacError.FieldError] = []
        for entry in o where !["language", "synonyms", "stop_words", "typo", "analytics", "ranking"].contains(entry.key) {
            errors.append(.init(field: entry.key, message: "unknown field"))
        }
        switch o["language"] {
        case nil: break
        case .string(let s)?:
            if languages.contains(s) { language = s } else {
                errors.append(.init(field: "language", message: "unknown language '\(s.prefix(32))'; available: \(languages.sorted().joined(separator: ", "))"))
            }
        case let other?: errors.append(.init(field: "language", message: "must be a string, got \(other.typeDescription)"))
        }
        switch o["synonyms"] {
        case nil, .null?: break
        case .object(let syn)?:
            if syn.count > 10_000 { errors.append(.init(field: "synonyms", message: "at most 10000 entries")) }
            for entry in syn {
                let key = Tokenizer.words(entry.key).joined(separator: " ")
                guard !key.isEmpty, !key.contains(" ") else {
                    errors.append(.init(field: "synonyms.\(entry.key)", message: "keys must be single words"))
                    continue
                }
                guard case .array(let items) = entry.value, !items.isEmpty, items.count <= 32 else {
                    errors.append(.init(field: "synonyms.\(entry.key)", message: "must be an array of 1-32 strings"))
                    continue
                }
                var words: [String] = []
                for item in items {
                    guard case .string(let s) = item, !Tokenizer.words(s).isEmpty else {
                        errors.append(.init(field: "synonyms.\(entry.key)", message: "must contain non-empty strings"))
                        break
                    }
                    words.append(Tokenizer.words(s).joined(separator: " "))
                }
                synonyms[key] = words
            }
        case let other?: errors.append(.init(field: "synonyms", message: "must be an object, got \(other.typeDescription)"))
        }
        switch o["stop_words"] {
        case nil, .null?: break
        case .array(let items)?:
            if items.count > 1000 { errors.append(.init(field: "stop_words", message: "at most 1000 words")) }
            for (i, item) in items.enumerated() {
                guard case .string(let s) = item, Tokenizer.words(s).count == 1 else {
                    errors.append(.init(field: "stop_words[\(i)]", message: "must be a single word"))
                    continue
                }
                stopWords.append(Tokenizer.words(s)[0])
            }
        case let other?: errors.append(.init(field: "stop_words", message: "must be an array, got \(other.typeDescription)"))
        }
        switch o["typo"] {
        case nil, .null?: break
        case .object(let t)?:
            for entry in t where entry.key != "min_word_1" && entry.key != "min_word_2" {
                errors.append(.init(field: "typo.\(entry.key)", message: "unknown field"))
            }
            if let v = t["min_word_1"] {
                if let i = v.integerValue, (1...64).contains(i) { typo.minWord1 = Int(i) } else {
                    errors.append(.init(field: "typo.min_word_1", message: "must be an integer between 1 and 64"))
                }
            }
            if let v = t["min_word_2"] {
                if let i = v.integerValue, (1...64).contains(i) { typo.minWord2 = Int(i) } else {
                    errors.append(.init(field: "typo.min_word_2", message: "must be an integer between 1 and 64"))
                }
            }
            if typo.minWord2 < typo.minWord1 {
                errors.append(.init(field: "typo.min_word_2", message: "must be >= min_word_1"))
            }
        case let other?: errors.append(.init(field: "typo", message: "must be an object, got \(other.typeDescription)"))
        }
        switch o["analytics"] {
        case nil, .null?: break
        case .bool(let b)?: analytics = b
        case let other?: errors.append(.init(field: "analytics", message: "must be true or false, got \(other.typeDescription)"))
        }
        switch o["ranking"] {
        case nil, .null?: break
        case .object(let r)?:
            for entry in r where entry.key != "tie_break" {
                errors.append(.init(field: "ranking.\(entry.key)", message: "unknown field"))
            }
            switch r["tie_break"] {
            case nil, .null?: ranking = Ranking(tieBreak: nil)
            case .string(let text)?:
                if let tieBreak = Self.tieBreak(text) {
                    ranking = Ranking(tieBreak: tieBreak)
                } else {
                    errors.append(.init(
                        field: "ranking.tie_break",
                        message: "must be attributes.<name> with an optional :asc or :desc (default desc), got '\(text.prefix(64))'"))
                }
            case let other?:
                errors.append(.init(field: "ranking.tie_break", message: "must be a string or null, got \(other.typeDescription)"))
            }
        case let other?: errors.append(.init(field: "ranking", message: "must be an object or null, got \(other.typeDescription)"))
        }
        if !errors.isEmpty { throw AlmanacError.validation(errors) }
        phraseSynonyms = Self.phraseSynonyms(synonyms)
    }
}
