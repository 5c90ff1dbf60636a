public import AlmanacCore

/// One catalogue hit, with the product's stored JSON as indexed.
public struct ProductHit: Sendable {
    public var id: String
    public var score: Double
    public var productJSON: [UInt8]
    public var highlightTitle: String?
    public var highlightDescription: String?
}

public struct FacetBucket: Sendable, Equatable {
    public var value: String
    public var count: Int
}

public struct PriceBucket: Sendable, Equatable {
    public var from: Int64?
    public var to: Int64?
    public var count: Int
}

public struct ProductSearchResult: Sendable {
    public var hits: [ProductHit]
    public var total: Int
    public var totalIsExact: Bool
    public var facets: [(name: String, buckets: [FacetBucket])]
    public var priceBuckets: [PriceBucket]?
    public var corrected: String?
    public var nextCursor: String?
}

/// Runs catalogue searches on pooled readers.
public struct ProductSearcher: Sendable {
    public let readers: ReaderPool
    public let vocabulary: TypoVocabulary
    public let slots: SlotRegistry

    public init(readers: ReaderPool, vocabulary: TypoVocabulary, slots: SlotRegistry) {
        self.readers = readers
        self.vocabulary = vocabulary
        self.slots = slots
    }

    static let fieldPrefixes = ["title": Terms.titleText, "brand": Terms.brandText]

    /// Plans and runs `request` for `tenant`. Parsing errors (filter, cursor) are 400s
    /// thrown before any index work.
    public func search(
        _ request: ProductSearchRequest, tenant: String, settings: SearchSettings
    ) async throws -> ProductSearchResult {
        let filter = try request.filter.map { try FilterSchema.products.parse($0) }
        let text = request.q.flatMap { TextQueryParser.products.parse($0) }
        let fingerprint = Cursor.fingerprint(tenant + "\u{1F}" + request.canonicalQuery)
        let cursor = try request.cursor.map { try Cursor.decode($0, fingerprint: fingerprint) }
        let vocabulary = request.typo ? self.vocabulary : nil
        let slots = self.slots
        return try await readers.withReader { db in
            try ProductSearch(
                db: db, request: request, tenant: tenant, settings: settings, filter: filter, text: text,
                cursor: cursor, fingerprint: fingerprint, vocabulary: vocabulary, slots: slots
            ).run()
        }
    }
}

/// One search on one reader thread.
struct ProductSearch {
    let db: XapianDatabase
    let request: ProductSearchRequest
    let tenant: String
    let settings: SearchSettings
    let filter: TypedFilter?
    let text: TextQuery?
    let cursor: Cursor?
    let fingerprint: String
    let vocabulary: TypoVocabulary?
    let slots: SlotRegistry

    static func sortSlot(_ field: ProductSearchRequest.SortField) -> UInt32? {
        switch field {
        case .price: ProductSlot.price
        case .createdAt: ProductSlot.createdAt
        case .updatedAt: ProductSlot.updatedAt
        case .title: ProductSlot.title
        case .score: nil
        }
    }

    static func facetSpy(_ facet: String) -> XapianSpy {
        switch facet {
        case "brand": .valueCount(slot: ProductSlot.brand)
        case "category": .valueCount(slot: ProductSlot.category)
        case "tags": .multiValueCount(slot: ProductSlot.tags)
        case "currency": .valueCount(slot: ProductSlot.currency)
        case "in_stock": .valueCount(slot: ProductSlot.inStock)
        default: .multiValueCount(slot: ProductSlot.attributes)
        }
    }

    func run() throws -> ProductSearchResult {
        let stemmer = try XapianStemmer(language: settings.language)
        // The largest term frequency among the last word's completions (see `manyMatches`).
        var completionFrequency = 0
        var planner = TextPlanner(
            stemmer: stemmer, settings: settings, vocabulary: vocabulary, fieldPrefixes: ProductSearcher.fieldPrefixes,
            rules: .products,
            completions: { [db] prefix, limit in
                let terms = try db.retryingStaleReads { try db.mostFrequentTerms(prefix: prefix, limit: limit) }
                completionFrequency = max(completionFrequency, terms.first?.frequency ?? 0)
                return terms.map(\.term)
            })
        let textQuery = try text.flatMap { try planner.plan($0) }
        let filterPlanner = FilterPlanner.products.with(slots: slots)
        let tenantTerm = try XapianQuery.term(Terms.keyword(Terms.tenant, tenant))

        // `ranked`: with the rules' weight-only parts; else the same matches, for counting.
        func query(filter: TypedFilter?, ranked: Bool = true) throws -> XapianQuery {
            var restriction = tenantTerm
            if let filter { restriction = try .and([tenantTerm, try filterPlanner.plan(filter)]) }
            guard let textQuery else { return restriction }
            return try .filter(ranked ? textQuery : planner.matchOnly ?? textQuery, restriction)
        }
        let main = try query(filter: filter)
        let hasText = textQuery != nil
        let docCount = try db.documentCount

        // Order: keys as asked, ties by id; with no text every score is equal.
        let keys = request.sort.filter { $0.field != .score || hasText }
        let scoreFirst = keys.first?.field == .score
        let scoreLater = !scoreFirst && keys.contains { $0.field == .score }
        var sortKeys = keys.compactMap { k in Self.sortSlot(k.field).map { XapianSearchOptions.SortKey(slot: $0, reverse: k.descending, missingLast: true) } }
        sortKeys.append(.init(slot: ProductSlot.id, reverse: false))
        let byKeys = !scoreFirst && !scoreLater
        // The tenant's tie-break applies to relevance order (docs/relevance.md, rule 6).
        let tieBreak = hasText && scoreFirst && request.sort.first?.descending == true ? settings.ranking?.tieBreak : nil
        let tieSlot = tieBreak.flatMap { slots.existingSlot(for: $0.attribute) }

        // Facets counted on the main query, unless the filter constrains that field.
        var mainSpies: [XapianSpy] = []
        var spyOwners: [String] = []
        var disjunctive: [(String, TypedFilter?)] = []
        for facet in request.facets {
            if let filter, filter.facetSplit(for: facet).isDisjunctive {
                disjunctive.append((facet, filter.facetSplit(for: facet).remainder))
            } else {
                mainSpies.append(Self.facetSpy(facet))
                spyOwners.append(facet)
            }
        }
        let ranges = request.priceRanges.map { XapianNumericRange(from: $0.from.map(Double.init), to: $0.to.map(Double.init)) }
        var priceDisjunctive: TypedFilter?? = nil
        if !ranges.isEmpty {
            if let filter, filter.facetSplit(for: "price").isDisjunctive {
                priceDisjunctive = .some(filter.facetSplit(for: "price").remainder)
            } else {
                mainSpies.append(.numericRanges(slot: ProductSlot.price, ranges: ranges))
                spyOwners.append("_price")
            }
        }
        // Totals are exact up to `exactTotalUpTo` matches; past it only when asked, or when
        // every match is visited anyway (no text: the order is by keys; facets count them).
        let exactCounts = !hasText || !request.facets.isEmpty || !ranges.isEmpty || request.exactTotal
        // Whether the matches certainly number more than `exactTotalUpTo`, so counting them
        // can stop early: known for one word without a filter, whose matches hold at least
        // every document of its most frequent term (its stem, the word, a completion), less
        // the documents of other tenants. The common words that match thousands are where
        // counting costs most.
        var manyMatches = false
        if hasText, !exactCounts, filter == nil, case .term(let t)? = text, t.field == nil {
            let stem = stemmer.stem(t.word)
            var largest = max(completionFrequency, try db.termFrequency(t.word))
            if !stem.isEmpty { largest = max(largest, try db.termFrequency(Terms.stemmed + stem)) }
            let others = docCount - (try db.termFrequency(Terms.keyword(Terms.tenant, tenant)))
            manyMatches = largest - others > ProductSearchRequest.exactTotalUpTo
        }

        var options = XapianSearchOptions()
        options.weighting = hasText ? ProductProjection.weighting : .bool
        options.includeData = true
        options.valueSlots = [ProductSlot.id]
        options.spies = mainSpies
        options.checkAtLeast = exactCounts ? max(docCount, 1) : 0

        var pageStart = 0  // index into hits where this page starts
        var offset = request.offset
        if byKeys {
            options.sort = .keys(sortKeys)
            if let key = cursor?.key { options.searchAfter = key; offset = cursor?.offset ?? 0 }
            options.first = cursor == nil ? request.offset : 0
            options.maxItems = request.limit + 1
        } else if scoreFirst {
            options.sort = .relevanceThenKeys(Array(sortKeys.dropFirst(0)))
            if tieSlot != nil {
                // The tie-break reorders runs of near-equal scores: fetch from the top, past
                // the page, and order the window in Swift (below).
                if let cursor { offset = cursor.offset }
                options.first = 0
                options.maxItems = offset + request.limit + 1 + Self.tieBreakMargin
                options.valueSlots = [ProductSlot.id, tieSlot!]
            } else if let cursor {
                offset = cursor.offset
                options.first = max(0, cursor.offset - 10)
                options.maxItems = request.limit + 21
            } else {
                options.first = request.offset
                options.maxItems = request.limit + 1
            }
        } else {
            // Relevance after other keys: order the window in Swift. Equal scores by id, so
            // which 10 000 make the window depends on the products, not on docids (which
            // interleave across shards).
            options.sort = .relevanceThenKeys([.init(slot: ProductSlot.id, reverse: false)])
            options.first = 0
            options.maxItems = 10_000
            options.valueSlots = [ProductSlot.id, ProductSlot.price, ProductSlot.createdAt, ProductSlot.updatedAt, ProductSlot.title]
            if let cursor { offset = cursor.offset }
        }
        if request.limit == 0 {
            // The total and the facets only.
            options.sort = .relevance
            options.first = 0
            options.maxItems = 0
            options.searchAfter = nil
        }
        // Count on to `exactTotalUpTo` + 1 (a second, unweighted pass for the count measured
        // no faster: both visit the same matches).
        if !exactCounts {
            options.checkAtLeast = options.first + options.maxItems
            if !manyMatches { options.checkAtLeast = max(options.checkAtLeast, ProductSearchRequest.exactTotalUpTo + 1) }
        }
        // Matching terms: every hit's to highlight; otherwise only the page's top hit's, for
        // `query.corrected` (the window's first hit, unless the page starts inside it).
        options.matchingTerms = hasText && (request.highlight || vocabulary != nil)
        if !request.highlight, byKeys || (scoreFirst && cursor == nil) { options.matchingTermsHits = 1 }

        var result = try db.search(main, options)
        if tieSlot != nil, request.limit > 0 {
            // Widen the window until the run of near-equal scores holding the page's end is
            // whole (or the window holds every match).
            while !result.hits.isEmpty, result.hits.count == options.maxItems, options.maxItems < Self.tieBreakWindowMax,
                Self.runEnd(result.hits, containing: min(offset + request.limit, result.hits.count - 1)) == result.hits.count
            {
                options.maxItems = min(options.maxItems * 2, Self.tieBreakWindowMax)
                result = try db.search(main, options)
            }
        }
        // The hit whose matching terms name the correction: the best by text.
        let best = result.hits.first
        var hits = result.hits
        if let tieBreak, tieSlot != nil {
            hits = Self.tieBroken(hits, descending: tieBreak.descending)
            if let cursor, let i = hits.firstIndex(where: { String(decoding: $0.values[0], as: UTF8.self) == cursor.lastID }) {
                pageStart = i + 1
            } else {
                pageStart = offset
            }
            hits = Array(hits.dropFirst(pageStart).prefix(request.limit + 1))
        } else if scoreLater {
            hits.sort { a, b in Self.compare(a, b, keys: keys) }
            hits = Array(hits.dropFirst(offset).prefix(request.limit + 1))
        } else if scoreFirst, let cursor {
            if let i = hits.firstIndex(where: { String(decoding: $0.values[0], as: UTF8.self) == cursor.lastID }) {
                pageStart = i + 1
            } else {
                pageStart = max(0, cursor.offset - options.first)
            }
            hits = Array(hits.dropFirst(pageStart).prefix(request.limit + 1))
        }
        let hasMore = hits.count > request.limit
        hits = Array(hits.prefix(request.limit))

        // Totals: exact whenever Xapian counted every match (always up to
        // `exactTotalUpTo`: see checkAtLeast), else that bound as a lower bound.
        // A text query past the bound says so even when Xapian knew more (facets, a lone
        // term), so the same query answers the same way; `exact_total=true` counts on.
        var exact = !manyMatches && (exactCounts || result.matchesLowerBound == result.matchesUpperBound)
        var total = exact ? result.matchesLowerBound + result.skippedBySearchAfter : ProductSearchRequest.exactTotalUpTo
        if hasText, !request.exactTotal, total > ProductSearchRequest.exactTotalUpTo {
            total = ProductSearchRequest.exactTotalUpTo
            exact = false
        }
        let spyResults = result.spyResults

        // Facets.
        var facetResults: [String: [FacetBucket]] = [:]
        var priceBuckets: [PriceBucket]?
        for (i, owner) in spyOwners.enumerated() {
            if owner == "_price" {
                priceBuckets = Self.priceBuckets(spyResults[i], request.priceRanges)
            } else {
                facetResults[owner] = Self.buckets(spyResults[i], facet: owner, limit: request.facetLimit)
            }
        }
        for (facet, remainder) in disjunctive {
            var o = XapianSearchOptions()
            o.weighting = .bool
            o.maxItems = 0
            o.checkAtLeast = max(docCount, 1)
            o.spies = [Self.facetSpy(facet)]
            let r = try db.search(try query(filter: remainder, ranked: false), o)
            facetResults[facet] = Self.buckets(r.spyResults[0], facet: facet, limit: request.facetLimit)
        }
        if case .some(let remainder) = priceDisjunctive {
            var o = XapianSearchOptions()
            o.weighting = .bool
            o.maxItems = 0
            o.checkAtLeast = max(docCount, 1)
            o.spies = [.numericRanges(slot: ProductSlot.price, ranges: ranges)]
            let r = try db.search(try query(filter: remainder, ranked: false), o)
            priceBuckets = Self.priceBuckets(r.spyResults[0], request.priceRanges)
        }

        // Correction and highlighting.
        var corrected: String?
        if let text, let top = tieSlot != nil && cursor == nil && request.offset == 0 ? best : hits.first {
            corrected = planner.correctedQuery(text, matchingTerms: top.matchingTerms)
        }
        let prefixes = text?.positiveTerms.filter(\.isPrefix).map(\.word) ?? []
        var productHits: [ProductHit] = []
        productHits.reserveCapacity(hits.count)
        for hit in hits {
            var h = ProductHit(
                id: String(decoding: hit.values[0], as: UTF8.self), score: hit.weight, productJSON: hit.data)
            if request.highlight, hasText {
                let highlighter = Highlighter(
                    matchingTerms: hit.matchingTerms, prefixes: prefixes, fieldPrefixes: [Terms.titleText, Terms.brandText],
                    stemmer: stemmer)
                if case .object(let product)? = try? JSONParser.parse(hit.data) {
                    if let title = product["title"]?.stringValue {
                        h.highlightTitle = highlighter.highlight(title) ?? Highlighter.escaped(title)
                    }
                    if let description = product["description"]?.stringValue {
                        h.highlightDescription = highlighter.crop(description)
                    }
                }
            }
            productHits.append(h)
        }

        // Next page.
        var nextCursor: String?
        if hasMore, let last = hits.last {
            let consumed = offset + hits.count
            if byKeys {
                nextCursor = Cursor(fingerprint: fingerprint, key: last.sortKey, offset: consumed, lastID: nil).encoded
            } else {
                nextCursor = Cursor(
                    fingerprint: fingerprint, key: nil, offset: consumed,
                    lastID: String(decoding: last.values[0], as: UTF8.self)
                ).encoded
            }
        }
        let facets = request.facets.map { (name: $0, buckets: facetResults[$0] ?? []) }
        return ProductSearchResult(
            hits: productHits, total: total, totalIsExact: exact, facets: facets, priceBuckets: priceBuckets,
            corrected: corrected, nextCursor: nextCursor)
    }

    /// Hits fetched past the page when a tie-break applies, so the run at the page's end
    /// is usually whole at the first try.
    static let tieBreakMargin = 30
    static let tieBreakWindowMax = ProductSearchRequest.exactTotalUpTo + 200

    /// The end (exclusive) of the run of near-equal scores holding `hits[index]`.
    static func runEnd(_ hits: [XapianSearchResult.Hit], containing index: Int) -> Int {
        var start = 0
        while start < hits.count {
            var end = start + 1
            let floor = hits[start].weight * (1 - SearchSettings.Ranking.band)
            while end < hits.count, hits[end].weight >= floor { end += 1 }
            if index < end { return end }
            start = end
        }
        return hits.count
    }

    /// Relevance order with each run of near-equal scores (within `Ranking.band` of the
    /// run's first) ordered by the tie-break value (`values[1]`: a numeric attribute),
    /// hits without a number last, the relevance order breaking the remaining ties.
    static func tieBroken(_ hits: [XapianSearchResult.Hit], descending: Bool) -> [XapianSearchResult.Hit] {
        func number(_ hit: XapianSearchResult.Hit) -> Double? {
            guard hit.values.count > 1, let tag = hit.values[1].first, tag == AttributeValue.numberTag else { return nil }
            return Sortable.unserialise(Array(hit.values[1].dropFirst()))
        }
        var out: [XapianSearchResult.Hit] = []
        out.reserveCapacity(hits.count)
        var start = 0
        while start < hits.count {
            let end = runEnd(hits, containing: start)
            let run = hits[start..<end].enumerated().map { (offset: $0.offset, hit: $0.element, value: number($0.element)) }
            let ordered = run.sorted { a, b in
                switch (a.value, b.value) {
                case (let x?, let y?) where x != y: return descending ? x > y : x < y
                case (.some, nil): return true
                case (nil, .some): return false
                default: return a.offset < b.offset
                }
            }
            out.append(contentsOf: ordered.map(\.hit))
            start = end
        }
        return out
    }

    static func compare(_ a: XapianSearchResult.Hit, _ b: XapianSearchResult.Hit, keys: [ProductSearchRequest.SortKey]) -> Bool {
        for key in keys {
            let ordering: Int
            switch key.field {
            case .score: ordering = a.weight == b.weight ? 0 : (a.weight < b.weight ? -1 : 1)
            default:
                let index: Int
                switch key.field {
                case .price: index = 1
                case .createdAt: index = 2
                case .updatedAt: index = 3
                default: index = 4
                }
                let x = a.values[index], y = b.values[index]
                // Missing values sort last in either direction.
                if x.isEmpty != y.isEmpty { return y.isEmpty }
                ordering = x == y ? 0 : (x.lexicographicallyPrecedes(y) ? -1 : 1)
            }
            if ordering != 0 { return key.descending ? ordering > 0 : ordering < 0 }
        }
        return a.values[0].lexicographicallyPrecedes(b.values[0])
    }

    static func buckets(_ result: XapianSpyResult, facet: String, limit: Int) -> [FacetBucket] {
        guard let counts = result.valueCounts else { return [] }
        var buckets: [FacetBucket] = []
        if facet.hasPrefix("attributes.") {
            let prefix = Array((String(facet.dropFirst("attributes.".count)) + Terms.attributeSeparator).utf8)
            for c in counts where c.value.starts(with: prefix) {
                buckets.append(FacetBucket(value: String(decoding: c.value.dropFirst(prefix.count), as: UTF8.self), count: c.count))
            }
        } else {
            buckets = counts.map { FacetBucket(value: String(decoding: $0.value, as: UTF8.self), count: $0.count) }
        }
        buckets.sort { $0.count != $1.count ? $0.count > $1.count : Array($0.value.utf8).lexicographicallyPrecedes(Array($1.value.utf8)) }
        return Array(buckets.prefix(limit))
    }

    static func priceBuckets(_ result: XapianSpyResult, _ ranges: [ProductSearchRequest.PriceRange]) -> [PriceBucket] {
        guard case .rangeCounts(let counts) = result else { return [] }
        return zip(ranges, counts).map { PriceBucket(from: $0.from, to: $0.to, count: $1) }
    }
}

extension XapianStemmer: Stemming {}
