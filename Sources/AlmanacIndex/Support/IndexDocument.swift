import AlmanacCore

/// A Xapian document described as plain data: what the projections produce and the
/// writer turns into one native document. Keeping it plain keeps projections testable
/// without a database and lets the writer hand a whole document over in one call.
public struct IndexDocument: Sendable, Equatable {
    public struct Posting: Sendable, Equatable {
        public var term: String
        public var position: UInt32
        public var wdf: UInt32
    }

    public var uniqueTerm: String
    public var postings: [Posting] = []
    /// Terms without positions, with their wdf increment.
    public var terms: [String: UInt32] = [:]
    public var booleanTerms: [String] = []
    public var values: [UInt32: [UInt8]] = [:]
    public var data: [UInt8] = []
    /// Unprefixed words seen in the text (for the typo vocabulary).
    public var words: Set<String> = []
    /// The product's `N` name term (for the vocabulary's names).
    public var nameTerm: String?

    public init(uniqueTerm: String) {
        self.uniqueTerm = uniqueTerm
        booleanTerms.append(uniqueTerm)
    }

    /// A record's document: its unique term, its tenant and id terms, its JSON as data.
    init(tenant: String, id: String, json: [UInt8]) {
        self.init(uniqueTerm: Terms.unique(tenant: tenant, id: id))
        addBoolean(Terms.keyword(Terms.tenant, tenant))
        addBoolean(Terms.keyword(Terms.id, id))
        data = json
    }

    public mutating func addBoolean(_ term: String) { booleanTerms.append(term) }

    /// The term `field EXISTS` matches.
    mutating func addExists(_ field: String) { addBoolean(Terms.keyword(Terms.exists, field)) }

    /// A record's `attributes`: `EXISTS` terms, a boolean term per scalar value, typed
    /// values in their per-name slots (when `slots` has one), and every
    /// `name \u{1F} value` in `facetSlot` for facets.
    mutating func addAttributes(_ attributes: JSONObject, slots: SlotRegistry?, facetSlot: UInt32) {
        addExists("attributes")
        var facetValues: [[UInt8]] = []
        for entry in attributes {
            addExists("attributes." + entry.key)
            guard let text = SlotValue.attributeText(entry.value) else { continue }
            addBoolean(Terms.attributeTerm(entry.key, text))
            facetValues.append(Array((entry.key + Terms.attributeSeparator + text).utf8))
            if let slot = slots?.slot(for: entry.key), let encoded = SlotValue.attribute(entry.value) {
                values[slot] = encoded
            }
        }
        values[facetSlot] = MultiValue.encode(facetValues)
    }

    public mutating func addTerm(_ term: String, wdf: UInt32 = 1) { terms[term, default: 0] += wdf }

    /// Indexes `text`: every word unprefixed with positions (for phrases) plus its stem
    /// (`Z` + stem); with `fieldPrefix`, also the field's own copies for `field:word`.
    /// Returns the next free position, leaving a gap so phrases never span fields.
    @discardableResult
    public mutating func indexText(
        _ text: String, startingAt position: UInt32, wdf: UInt32, fieldPrefix: String?, stemmer: some Stemming
    ) -> UInt32 {
        var next = position
        Tokenizer.forEachToken(in: text) { token in
            let word = token.text
            let pos = position + UInt32(truncatingIfNeeded: token.position)
            next = max(next, pos + 1)
            postings.append(Posting(term: word, position: pos, wdf: wdf))
            words.insert(word)
            let stem = stemmer.stem(word)
            if !stem.isEmpty { addTerm(Terms.stemmed + stem, wdf: wdf) }
            if let fieldPrefix {
                postings.append(Posting(term: fieldPrefix + word, position: pos, wdf: 1))
                if !stem.isEmpty { addTerm(Terms.stemmed + fieldPrefix + stem, wdf: 1) }
            }
        }
        return next + 100
    }
}

/// Anything that stems a lower-cased word (Xapian's Snowball stemmers in production).
public protocol Stemming {
    func stem(_ word: String) -> String
}

/// Sortable encodings of typed values for value slots.
enum SlotValue {
    static func time(_ t: Timestamp) -> [UInt8] { Sortable.serialise(Double(t.microseconds)) }

    static func attribute(_ value: JSONValue) -> [UInt8]? {
        switch value {
        case .string(let s): [AttributeValue.stringTag] + Array(s.utf8)
        case .int, .double: [AttributeValue.numberTag] + Sortable.serialise(value.numberValue!)
        case .bool(let b): [AttributeValue.boolTag, b ? UInt8(ascii: "1") : UInt8(ascii: "0")]
        default: nil
        }
    }

    /// The text form of an attribute value used in `XA:` terms and facet values.
    static func attributeText(_ value: JSONValue) -> String? {
        switch value {
        case .string(let s): s
        case .bool(let b): b ? "true" : "false"
        case .int(let i): String(i)
        case .double(let d): JSONWriter.string(.double(d))
        default: nil
        }
    }
}
