/// How `XapianDatabase.search` runs a query.
public struct XapianSearchOptions: Sendable, Hashable {
    public enum Weighting: Sendable, Hashable {
        /// BM25 relevance (Xapian's default parameters: k1 1, b 0.5).
        case bm25
        /// BM25 with the given k1 and b (k2 0, k3 1, min_normlen 0.5).
        case bm25Parameters(k1: Double, b: Double)
        /// Every weight is 0 (filter-only queries; cheaper).
        case bool
    }

    /// One sort key: a value slot, compared bytewise, optionally reversed.
    public struct SortKey: Sendable, Hashable {
        public var slot: UInt32
        public var reverse: Bool
        /// Documents without a value sort after all others in either direction
        /// (otherwise an ascending key puts them first).
        public var missingLast: Bool

        public init(slot: UInt32, reverse: Bool = false, missingLast: Bool = false) {
            self.slot = slot
            self.reverse = reverse
            self.missingLast = missingLast
        }
    }

    /// Result order. Keys come from Xapian's MultiValueKeyMaker; documents tied on
    /// everything come in ascending docid order.
    public enum Sort: Sendable, Hashable {
        case relevance
        case relevanceThenKeys([SortKey])
        case keys([SortKey])
        case keysThenRelevance([SortKey])
    }

    /// Offset of the first hit returned.
    public var first: Int
    public var maxItems: Int
    /// Check at least this many matches. Totals and spy counts are exact when it is at least
    /// the number of matches (`Int(UInt32.max)` or the document count always is).
    public var checkAtLeast: Int
    public var weighting: Weighting
    public var sort: Sort
    /// A cursor (the `sortKey` of the last hit of the previous page); only with `.keys`
    /// sorting. Only documents whose sort key is bytewise greater are returned, so a page
    /// continues exactly after the previous one even while documents are added, provided
    /// the keys are unique (end them with a unique slot): documents whose whole key equals
    /// the cursor are skipped. Spies still count every match; the totals count only the
    /// matches after the cursor (see `XapianSearchResult.skippedBySearchAfter`).
    public var searchAfter: [UInt8]?
    /// Return each hit's document data.
    public var includeData: Bool
    /// Return these value slots per hit (`Hit.values`, in this order).
    public var valueSlots: [UInt32]
    /// Return the query terms each hit matches (for highlighting).
    public var matchingTerms: Bool
    /// With `matchingTerms`: only the first this many hits get them (nil: every hit).
    /// Fetching them walks each hit's term list against the query's terms, which costs a
    /// few hundred microseconds per page when typo and prefix expansion made the query
    /// large, so a caller that needs only the top hit's (a correction) asks for one.
    public var matchingTermsHits: Int?
    /// Spies run over the matching documents; results come in the same order.
    public var spies: [XapianSpy]

    public init(
        first: Int = 0,
        maxItems: Int = 10,
        checkAtLeast: Int = 0,
        weighting: Weighting = .bm25,
        sort: Sort = .relevance,
        searchAfter: [UInt8]? = nil,
        includeData: Bool = false,
        valueSlots: [UInt32] = [],
        matchingTerms: Bool = false,
        matchingTermsHits: Int? = nil,
        spies: [XapianSpy] = []
    ) {
        self.first = first
        self.maxItems = maxItems
        self.checkAtLeast = checkAtLeast
        self.weighting = weighting
        self.sort = sort
        self.searchAfter = searchAfter
        self.includeData = includeData
        self.valueSlots = valueSlots
        self.matchingTerms = matchingTerms
        self.matchingTermsHits = matchingTermsHits
        self.spies = spies
    }
}

/// A half-open numeric range `[from, to)`; nil ends are open.
public struct XapianNumericRange: Sendable, Hashable {
    public var from: Double?
    public var to: Double?

    public init(from: Double? = nil, to: Double? = nil) {
        self.from = from
        self.to = to
    }
}

/// A match spy: something computed over every matching document (exact when
/// `checkAtLeast` covers all matches).
public enum XapianSpy: Sendable, Hashable {
    /// Documents per distinct non-empty value of `slot` -> `.valueCounts`.
    case valueCount(slot: UInt32)
    /// `slot` holds a `MultiValue` list; documents per distinct entry -> `.valueCounts`.
    case multiValueCount(slot: UInt32)
    /// `slot` holds `Sortable` numbers; documents per range -> `.rangeCounts`.
    case numericRanges(slot: UInt32, ranges: [XapianNumericRange])
    /// The raw values of `slots` for every matching document -> `.collected`.
    case collect(slots: [UInt32])
}
