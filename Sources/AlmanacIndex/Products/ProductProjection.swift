public import AlmanacCore

/// How a product becomes a search document (see `Terms` and `ProductSlot`).
///
/// Text is weighted BM25F-style (docs/relevance.md, "Ranking that uses the fields"): each
/// word's within-document frequency is not a raw count but its length-normalised,
/// field-weighted frequency, summed over the fields,
///
///     tf~(t) = sum over fields f of  weight_f * tf_f(t) / (1 - b + b * length_f / averageLength_f)
///
/// stored as `wdf = round(tf~ * wdfScale)`, and the searcher scores with BM25 at `b = 0`
/// and `k1` times the same scale: BM25F with one saturation over all fields, and each field
/// normalised by its own length, not the whole document's (a long description no longer
/// dilutes a title match). Average field lengths are constants taken from the Debian corpus
/// (`fieldParameters`), so a document's terms never change after it is written.
/// Field-prefixed copies (`S` title, `A` brand) carry their field's own normalised
/// frequency, for `title:word` and the title rule. The `N` term holds the id's words, for
/// the exactness rule; `B` terms each two adjacent title words, for the proximity rule
/// (a term lookup instead of reading positions). Changing any of this needs a reindex (`formatVersion`).
public struct ProductProjection {
    public var slots: SlotRegistry?

    public init(slots: SlotRegistry? = nil) { self.slots = slots }

    /// One text field's BM25F parameters.
    public struct FieldParameters: Sendable {
        public var prefix: String?
        public var weight: Double
        public var b: Double
        public var averageLength: Double
        /// Index each two adjacent words as one term (`B`), for the proximity rule.
        public var pairs = false
    }

    /// Title words weigh three times a description word, brand and id words the same as one; each
    /// field's length normalisation has BM25's usual b = 0.75 around the corpus average
    /// (title 9.5 words, brand 3, description 56 on the 63k Debian products).
    public static let title = FieldParameters(prefix: Terms.titleText, weight: 3, b: 0.75, averageLength: 9.5, pairs: true)
    public static let brand = FieldParameters(prefix: Terms.brandText, weight: 1, b: 0.75, averageLength: 3)
    public static let description = FieldParameters(prefix: nil, weight: 1, b: 0.75, averageLength: 56)
    /// The id's words are text too (2.5 words on average), so a query naming a product
    /// always matches it, whatever its title says.
    public static let name = FieldParameters(prefix: nil, weight: 1, b: 0.75, averageLength: 2.5)

    /// wdf units per unit of normalised frequency.
    public static let wdfScale = 32.0
    /// BM25's k1 in units of normalised frequency.
    public static let k1 = 1.2
    /// The weighting product searches use with these documents.
    public static let weighting = XapianSearchOptions.Weighting.bm25Parameters(k1: k1 * wdfScale, b: 0)

    static func wdf(_ normalised: Double) -> UInt32 {
        UInt32(clamping: max(1, Int((normalised * wdfScale).rounded())))
    }

    /// The exact-name key of an id or a query: its words joined by single spaces
    /// (`rafkill-data` and "rafkill data" both give `rafkill data`).
    public static func nameKey(_ words: [String]) -> String { words.joined(separator: " ") }

    public static func nameTerm(_ key: String) -> String { Terms.keyword(Terms.name, key) }

    public func document(tenant: String, product: Product, json: [UInt8], stemmer: some Stemming) -> IndexDocument {
        var doc = IndexDocument(uniqueTerm: Terms.unique(tenant: tenant, id: product.id))
        doc.addBoolean(Terms.keyword(Terms.tenant, tenant))
        doc.addBoolean(Terms.keyword(Terms.id, product.id))
        doc.data = json
        doc.values[ProductSlot.id] = Array(product.id.utf8)
        let idWords = Tokenizer.words(product.id)
        if !idWords.isEmpty {
            let term = Self.nameTerm(Self.nameKey(idWords))
            doc.addTerm(term, wdf: Self.wdf(1))
            doc.nameTerm = term
        }

        func exists(_ field: String) { doc.addBoolean(Terms.keyword(Terms.exists, field)) }
        exists("id")
        exists("title")
        exists("created_at")
        exists("updated_at")

        var text = FieldText()
        var position: UInt32 = 1
        position = text.add(product.title, Self.title, startingAt: position, into: &doc, stemmer: stemmer)
        position = text.add(product.id, Self.name, startingAt: position, into: &doc, stemmer: stemmer)
        doc.values[ProductSlot.title] = Array(product.title.lowercased().utf8.prefix(200))
        if let brand = product.brand {
            exists("brand")
            doc.addBoolean(Terms.keyword(Terms.brand, brand))
            doc.values[ProductSlot.brand] = Array(brand.utf8)
            position = text.add(brand, Self.brand, startingAt: position, into: &doc, stemmer: stemmer)
        }
        if let description = product.description {
            exists("description")
            position = text.add(description, Self.description, startingAt: position, into: &doc, stemmer: stemmer)
        }
        if let path = product.categoryPath {
            exists("category")
            for prefix in product.categoryPrefixes { doc.addBoolean(Terms.keyword(Terms.category, prefix)) }
            doc.values[ProductSlot.category] = Array(path.utf8)
        }
        if let price = product.price {
            exists("price")
            doc.values[ProductSlot.price] = Sortable.serialise(Double(price))
        }
        if let currency = product.currency {
            exists("currency")
            doc.addBoolean(Terms.keyword(Terms.currency, currency))
            doc.values[ProductSlot.currency] = Array(currency.utf8)
        }
        if let inStock = product.inStock {
            exists("in_stock")
            doc.addBoolean(Terms.keyword(Terms.inStock, inStock ? "true" : "false"))
            doc.values[ProductSlot.inStock] = Array((inStock ? "true" : "false").utf8)
        }
        if let tags = product.tags, !tags.isEmpty {
            exists("tags")
            for tag in tags { doc.addBoolean(Terms.keyword(Terms.tag, tag)) }
            doc.values[ProductSlot.tags] = MultiValue.encode(tags.map { Array($0.utf8) })
        }
        if let attributes = product.attributes, !attributes.isEmpty {
            exists("attributes")
            var facetValues: [[UInt8]] = []
            for entry in attributes {
                exists("attributes." + entry.key)
                guard let text = SlotValue.attributeText(entry.value) else { continue }
                doc.addBoolean(Terms.attributeTerm(entry.key, text))
                facetValues.append(Array((entry.key + Terms.attributeSeparator + text).utf8))
                if let slot = slots?.slot(for: entry.key), let encoded = SlotValue.attribute(entry.value) {
                    doc.values[slot] = encoded
                }
            }
            doc.values[ProductSlot.attributes] = MultiValue.encode(facetValues)
        }
        doc.values[ProductSlot.createdAt] = SlotValue.time(product.createdAt)
        doc.values[ProductSlot.updatedAt] = SlotValue.time(product.updatedAt)
        _ = position
        text.finish(into: &doc)
        return doc
    }
}

/// Accumulates the BM25F frequencies of a document's words over its fields.
struct FieldText {
    /// Unprefixed word -> normalised frequency over all fields.
    var words: [String: Double] = [:]
    /// `Z` + stem -> the same for stems.
    var stems: [String: Double] = [:]

    /// Indexes one field: positions for every word (wdf 0: the frequencies come at the
    /// end), and the field-prefixed copies with the field's own normalised frequency.
    /// Returns the next free position, leaving a gap so phrases never span fields.
    mutating func add(
        _ text: String, _ field: ProductProjection.FieldParameters, startingAt position: UInt32, into doc: inout IndexDocument,
        stemmer: some Stemming
    ) -> UInt32 {
        let tokens = Tokenizer.tokens(in: text)
        guard !tokens.isEmpty else { return position + 100 }
        let norm = 1 - field.b + field.b * Double(tokens.count) / field.averageLength
        let unit = field.weight / norm
        var fieldWords: [String: Int] = [:]
        var next = position
        for token in tokens {
            let word = token.text
            let pos = position + UInt32(truncatingIfNeeded: token.position)
            next = max(next, pos + 1)
            doc.postings.append(.init(term: word, position: pos, wdf: 0))
            if let prefix = field.prefix { doc.postings.append(.init(term: prefix + word, position: pos, wdf: 0)) }
            doc.words.insert(word)
            words[word, default: 0] += unit
            fieldWords[word, default: 0] += 1
        }
        var fieldStems: [String: Int] = [:]
        for (word, tf) in fieldWords {
            let stem = stemmer.stem(word)
            guard !stem.isEmpty else { continue }
            stems[Terms.stemmed + stem, default: 0] += unit * Double(tf)
            fieldStems[stem, default: 0] += tf
        }
        if field.pairs {
            var pairs: [String: Int] = [:]
            for (a, b) in zip(tokens, tokens.dropFirst()) where b.position == a.position + 1 {
                pairs[Terms.titlePairTerm(a.text, b.text), default: 0] += 1
            }
            for (pair, n) in pairs { doc.addTerm(pair, wdf: ProductProjection.wdf(Double(n) / norm)) }
        }
        if let prefix = field.prefix {
            for (word, tf) in fieldWords { doc.addTerm(prefix + word, wdf: ProductProjection.wdf(Double(tf) / norm)) }
            for (stem, tf) in fieldStems {
                doc.addTerm(Terms.stemmed + prefix + stem, wdf: ProductProjection.wdf(Double(tf) / norm))
            }
        }
        return next + 100
    }

    func finish(into doc: inout IndexDocument) {
        for (word, tf) in words { doc.addTerm(word, wdf: ProductProjection.wdf(tf)) }
        for (stem, tf) in stems { doc.addTerm(stem, wdf: ProductProjection.wdf(tf)) }
    }
}
