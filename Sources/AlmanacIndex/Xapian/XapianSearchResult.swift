/// The outcome of `XapianDatabase.search`.
public struct XapianSearchResult: Sendable, Hashable {
    public struct Hit: Sendable, Hashable {
        /// The docid (interleaved when several databases are searched as one).
        public var docid: UInt32
        /// 0-based position in the whole result (not in the page).
        public var rank: Int
        /// 0 with `.bool` weighting.
        public var weight: Double
        /// Empty unless `includeData`.
        public var data: [UInt8]
        /// One entry per `XapianSearchOptions.valueSlots` (empty when unset).
        public var values: [[UInt8]]
        /// The key the sorter used (empty for `.relevance`); pass the last hit's key as
        /// `searchAfter` to continue after it.
        public var sortKey: [UInt8]
        /// Query terms this document matches, if `matchingTerms`.
        public var matchingTerms: [String]

        public init(
            docid: UInt32, rank: Int, weight: Double, data: [UInt8] = [], values: [[UInt8]] = [],
            sortKey: [UInt8] = [], matchingTerms: [String] = []
        ) {
            self.docid = docid
            self.rank = rank
            self.weight = weight
            self.data = data
            self.values = values
            self.sortKey = sortKey
            self.matchingTerms = matchingTerms
        }
    }

    public var hits: [Hit]
    public var matchesLowerBound: Int
    public var matchesEstimated: Int
    public var matchesUpperBound: Int
    /// Matches left out because they sort at or before `searchAfter` (exact when
    /// `checkAtLeast` covers all matches). Totals for the whole query add this.
    public var skippedBySearchAfter: Int
    /// One per `XapianSearchOptions.spies`, in the same order.
    public var spyResults: [XapianSpyResult]

    public init(
        hits: [Hit], matchesLowerBound: Int, matchesEstimated: Int, matchesUpperBound: Int,
        skippedBySearchAfter: Int = 0, spyResults: [XapianSpyResult] = []
    ) {
        self.hits = hits
        self.matchesLowerBound = matchesLowerBound
        self.matchesEstimated = matchesEstimated
        self.matchesUpperBound = matchesUpperBound
        self.skippedBySearchAfter = skippedBySearchAfter
        self.spyResults = spyResults
    }
}

/// A value and the number of matching documents that have it.
public struct XapianFacetCount: Sendable, Hashable {
    public var value: [UInt8]
    public var count: Int

    public init(value: [UInt8], count: Int) {
        self.value = value
        self.count = count
    }
}

public enum XapianSpyResult: Sendable, Hashable {
    /// From `.valueCount` and `.multiValueCount`; unordered.
    case valueCounts([XapianFacetCount])
    /// From `.numericRanges`: one count per range, in the order given.
    case rangeCounts([Int])
    /// From `.collect`.
    case collected(XapianCollectedValues)

    public var valueCounts: [XapianFacetCount]? {
        if case .valueCounts(let counts) = self { return counts }
        return nil
    }

    public var rangeCounts: [Int]? {
        if case .rangeCounts(let counts) = self { return counts }
        return nil
    }

    public var collected: XapianCollectedValues? {
        if case .collected(let values) = self { return values }
        return nil
    }
}

/// The values of some slots for every matching document, packed: per document, one
/// `MultiValue` entry per slot, in slot order (empty when unset). Document order is
/// unspecified.
public struct XapianCollectedValues: Sendable, Hashable {
    public var slots: [UInt32]
    public var documentCount: Int
    public var bytes: [UInt8]

    public init(slots: [UInt32], documentCount: Int, bytes: [UInt8]) {
        self.slots = slots
        self.documentCount = documentCount
        self.bytes = bytes
    }

    /// Calls `body` once per document with its values, one per slot (valid only inside the
    /// call).
    public func forEachDocument(_ body: ([UnsafeRawBufferPointer]) throws -> Void) rethrows {
        guard !slots.isEmpty else { return }
        try bytes.withUnsafeBytes { raw in
            var values = [UnsafeRawBufferPointer](
                repeating: UnsafeRawBufferPointer(start: nil, count: 0), count: slots.count)
            var index = 0
            try MultiValue.forEach(in: raw) { value in
                values[index] = value
                index += 1
                if index == values.count {
                    index = 0
                    try body(values)
                }
            }
        }
    }

    /// The `Sortable` numbers in the slot at `slotIndex` (of `slots`), skipping documents
    /// without a value.
    public func numbers(slotIndex: Int) -> [Double] {
        var numbers: [Double] = []
        numbers.reserveCapacity(documentCount)
        forEachDocument { values in
            let value = values[slotIndex]
            if !value.isEmpty { numbers.append(Sortable.unserialise(value)) }
        }
        return numbers
    }
}
