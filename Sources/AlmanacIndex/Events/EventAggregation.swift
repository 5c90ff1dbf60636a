public import AlmanacCore

/// The answer of an aggregate request.
public struct EventAggregateResult: Sendable {
    public var total: Int
    /// In request order.
    public var results: [(name: String, result: AggregationResult)]
    /// Which path answered (`columns` or `index`), for logs and benchmarks.
    public var path: String
}

public enum AggregationResult: Sendable {
    case dateHistogram(HistogramResult)
    case terms(TermsResult)
    case stats(StatsResult)
    case percentiles(PercentilesResult)
}

/// Counts are `Double`: the number of events (exact: integers up to 2^53), or with `sum`
/// the sum of a numeric attribute over them.
public struct HistogramResult: Sendable, Equatable {
    public struct Bucket: Sendable, Equatable {
        /// Start (microseconds, UTC).
        public var key: Int64
        public var count: Double
        /// Counts per `splitKeys` entry, then `other` (when split).
        public var split: [Double]
    }
    public var buckets: [Bucket]
    /// The top values of the split field over the whole range, or nil without split.
    public var splitKeys: [String]?

    /// The split entry counting everything outside `splitKeys`.
    public static let otherKey = "other"
}

/// Counts as in `HistogramResult`: events, or with `sum` the sum of a numeric attribute.
public struct TermsResult: Sendable, Equatable {
    public struct Bucket: Sendable, Equatable {
        public var key: String
        public var count: Double
    }
    public var buckets: [Bucket]
    public var otherCount: Double
    public var missingCount: Double
}

public struct StatsResult: Sendable, Equatable {
    public var count: Int
    public var min: Double?
    public var max: Double?
    public var sum: Double
    public var avg: Double? { count > 0 ? sum / Double(count) : nil }
}

public struct PercentilesResult: Sendable, Equatable {
    /// (percent, nearest-rank value or nil when nothing matched).
    public var values: [Percentile]
    public var approximate: Bool
    public struct Percentile: Sendable, Equatable {
        public var percent: Double
        public var value: Double?
    }
}

/// Resolves a `time_zone` for a span (seconds) into the offsets in force over it.
public typealias ZoneResolver = @Sendable (TimeZoneName, _ fromSecond: Int64, _ toSecond: Int64) throws(AlmanacError) -> ZoneSchedule

/// Runs aggregations over columns: one selection pass (time range and filter), then every
/// aggregation over the same selected rows.
struct ColumnAggregator: Sendable {
    let columns: TenantColumns
    let filter: ColumnFilter?
    let range: EventTimeRange
    let aggregations: [NamedAggregation]
    let zones: ZoneResolver
    let maxBuckets: Int

    /// Histogram buckets for a closed range, built before any scan so a request for too
    /// many buckets fails fast.
    func prepareBuckets(range: EventTimeRange) throws(AlmanacError) -> [String: HistogramBuckets] {
        var out: [String: HistogramBuckets] = [:]
        guard let from = range.from, let to = range.to else { return out }
        for a in aggregations {
            guard case .dateHistogram(let spec) = a.aggregation else { continue }
            out[a.name] = try Self.buckets(spec, from: from, to: to, zones: zones, maxBuckets: maxBuckets)
        }
        return out
    }

    static func buckets(
        _ spec: Aggregation.DateHistogramSpec, from: Int64, to: Int64, zones: ZoneResolver, maxBuckets: Int
    ) throws(AlmanacError) -> HistogramBuckets {
        let margin: Int64 = 400 * 86_400
        let schedule = try zones(spec.timeZone, floorDiv(from, 1_000_000) - margin, floorDiv(to, 1_000_000) + margin)
        return try HistogramBuckets(interval: spec.interval, zone: schedule, from: from, to: to, maxBuckets: maxBuckets)
    }

    func run() throws(AlmanacError) -> EventAggregateResult {
        var prepared = try prepareBuckets(range: range)
        let chunks = columns.chunks(overlapping: range)

        // One selection pass.
        var selections: [[Int32]] = []
        selections.reserveCapacity(chunks.count)
        var total = 0
        var minT = Int64.max
        var maxT = Int64.min
        for chunk in chunks {
            let mask = filter?.evaluate(chunk, columns: columns)
            var rows: [Int32] = []
            let time = chunk.time
            let from = range.from ?? .min
            let to = range.to ?? .max
            for r in 0..<chunk.count {
                let t = time[r]
                guard t >= from, t < to else { continue }
                if let mask, !mask[r] { continue }
                rows.append(Int32(r))
                if t < minT { minT = t }
                if t > maxT { maxT = t }
            }
            total += rows.count
            selections.append(rows)
        }

        var results: [(name: String, result: AggregationResult)] = []
        for a in aggregations {
            switch a.aggregation {
            case .dateHistogram(let spec):
                var buckets = prepared[a.name]
                if buckets == nil, total > 0 {
                    buckets = try Self.buckets(
                        spec, from: range.from ?? minT, to: range.to ?? (maxT + 1), zones: zones, maxBuckets: maxBuckets)
                    prepared[a.name] = buckets
                }
                results.append((a.name, .dateHistogram(histogram(spec, buckets, chunks, selections))))
            case .terms(let spec):
                var counter = TermCounter(spec.field, columns: columns)
                let weights = RowWeights(spec.sum, columns: columns)
                var weighedTotal = 0.0
                for (chunk, rows) in zip(chunks, selections) {
                    if let weights {
                        let numbers = weights.numbers(chunk)
                        counter.count(chunk, rows, weights: numbers)
                        for r in rows { weighedTotal += RowWeights.weight(numbers, Int(r)) }
                    } else {
                        counter.count(chunk, rows)
                    }
                }
                let all = weights == nil ? Double(total) : weighedTotal
                results.append((a.name, .terms(counter.result(size: spec.size, total: all))))
            case .stats(let field):
                results.append((a.name, .stats(stats(field, chunks, selections))))
            case .percentiles(let field, let percents):
                results.append((a.name, .percentiles(percentiles(field, percents, chunks, selections))))
            }
        }
        return EventAggregateResult(total: total, results: results, path: "columns")
    }

    // MARK: - Histogram

    func histogram(
        _ spec: Aggregation.DateHistogramSpec, _ buckets: HistogramBuckets?, _ chunks: [ColumnChunk], _ selections: [[Int32]]
    ) -> HistogramResult {
        guard let buckets else { return HistogramResult(buckets: [], splitKeys: spec.split.map { _ in [] }) }
        var counts = [Double](repeating: 0, count: buckets.count)
        let weights = RowWeights(spec.sum, columns: columns)
        guard let split = spec.split else {
            for (chunk, rows) in zip(chunks, selections) {
                let time = chunk.time
                if let weights {
                    let numbers = weights.numbers(chunk)
                    for r in rows {
                        if let b = buckets.index(of: time[Int(r)]) { counts[b] += RowWeights.weight(numbers, Int(r)) }
                    }
                } else {
                    for r in rows {
                        if let b = buckets.index(of: time[Int(r)]) { counts[b] += 1 }
                    }
                }
            }
            return HistogramResult(
                buckets: (0..<buckets.count).map { .init(key: buckets.edges[$0], count: counts[$0], split: []) }, splitKeys: nil)
        }
        // One pass: bucket and term of every row; the top terms are known only at the end.
        var counter = TermCounter(split.field, columns: columns)
        var pairs: [(bucket: Int32, term: Int64, weight: Double)] = []
        var weighedTotal = 0.0
        for (chunk, rows) in zip(chunks, selections) {
            let time = chunk.time
            let numbers = weights?.numbers(chunk)
            for r in rows {
                let weight = numbers.map { RowWeights.weight($0, Int(r)) } ?? 1
                let term = counter.add(chunk, Int(r), weight: weight)
                if let b = buckets.index(of: time[Int(r)]) {
                    counts[b] += weight
                    weighedTotal += weight
                    pairs.append((Int32(b), term, weight))
                }
            }
        }
        // A value spelled `other` is never a split key of its own: it would collide with the
        // `other` entry (everything not listed), which is where it is counted instead.
        let top = counter.result(size: split.size + 1, total: weighedTotal)
        let keys = Array(top.buckets.map(\.key).filter { $0 != HistogramResult.otherKey }.prefix(split.size))
        var slotOfName: [ExactString: Int] = [:]
        for (i, k) in keys.enumerated() { slotOfName[ExactString(k)] = i }
        var slotOfTerm: [Int64: Int] = [:]
        let width = keys.count + 1
        var splitCounts = [Double](repeating: 0, count: buckets.count * width)
        for (b, term, weight) in pairs {
            let slot: Int
            if let s = slotOfTerm[term] {
                slot = s
            } else {
                slot = term == 0 ? keys.count : (counter.name(of: term).flatMap { slotOfName[ExactString($0)] } ?? keys.count)
                slotOfTerm[term] = slot
            }
            splitCounts[Int(b) * width + slot] += weight
        }
        return HistogramResult(
            buckets: (0..<buckets.count).map { i in
                .init(key: buckets.edges[i], count: counts[i], split: Array(splitCounts[(i * width)..<((i + 1) * width)]))
            },
            splitKeys: keys)
    }

    // MARK: - Numbers

    func forEachNumber(_ field: String, _ chunks: [ColumnChunk], _ selections: [[Int32]], _ body: (Double) -> Void) {
        guard let id = columns.attributeID(String(field.dropFirst("attributes.".count))) else { return }
        for (chunk, rows) in zip(chunks, selections) {
            guard let column = chunk.attributes[id], !column.numbers.isEmpty else { continue }
            let numbers = column.numbers
            for r in rows where Int(r) < numbers.count {
                let x = numbers[Int(r)]
                if !x.isNaN { body(x) }
            }
        }
    }

    func stats(_ field: String, _ chunks: [ColumnChunk], _ selections: [[Int32]]) -> StatsResult {
        var s = StatsResult(count: 0, min: nil, max: nil, sum: 0)
        var lo = Double.infinity
        var hi = -Double.infinity
        forEachNumber(field, chunks, selections) { x in
            s.count += 1
            s.sum += x
            if x < lo { lo = x }
            if x > hi { hi = x }
        }
        if s.count > 0 {
            s.min = lo
            s.max = hi
        }
        return s
    }

    func percentiles(_ field: String, _ percents: [Double], _ chunks: [ColumnChunk], _ selections: [[Int32]]) -> PercentilesResult {
        var values: [Double] = []
        forEachNumber(field, chunks, selections) { values.append($0) }
        values.sort()
        return PercentilesResult(
            values: percents.map { p in
                guard !values.isEmpty else { return .init(percent: p, value: nil) }
                // Nearest rank: the smallest value with at least p% of the values at or below it.
                let rank = Int((p * Double(values.count) / 100 - 1e-9).rounded(.up))
                return .init(percent: p, value: values[min(max(rank, 1), values.count) - 1])
            },
            approximate: false)
    }
}

/// Counts the values of one string-like field (a keyword, or an attribute's strings, bools
/// and numbers by their text), exactly.
struct TermCounter {
    enum Source {
        case keyword(Int)
        case attribute(UInt32?)
    }

    let source: Source
    let columns: TenantColumns
    /// By term key: > 0 a dictionary code, -1 false, -2 true, <= -3 a number. Counts are
    /// event counts, or with `sum` the summed weights (`RowWeights`).
    private var dense: [Double] = []
    private var negative: [Double] = [0, 0, 0]
    private var numbers: [Double] = []
    private var numberKeys: [UInt64: Int64] = [:]
    private(set) var missing = 0.0

    init(_ field: String, columns: TenantColumns) {
        self.columns = columns
        if let k = EventKeyword(field: field) {
            source = .keyword(k.rawValue)
            dense = [Double](repeating: 0, count: columns.keywordValues[k.rawValue].count)
        } else {
            let id = columns.attributeID(String(field.dropFirst("attributes.".count)))
            source = .attribute(id)
            dense = [Double](repeating: 0, count: id == nil ? 1 : columns.attributeValues.count)
        }
    }

    /// The term key of a row (0: missing).
    @inline(__always)
    mutating func key(_ chunk: ColumnChunk, _ r: Int) -> Int64 {
        switch source {
        case .keyword(let k):
            let codes = chunk.keywords[k]
            return r < codes.count ? Int64(codes[r]) : 0
        case .attribute(let id):
            guard let id, let column = chunk.attributes[id] else { return 0 }
            let code = column.string(r)
            if code != 0 { return Int64(code) }
            let b = column.bool(r)
            if b != 0 { return b == 2 ? -2 : -1 }
            guard let x = column.number(r) else { return 0 }
            if let k = numberKeys[x.bitPattern] { return k }
            numbers.append(x)
            let k = -Int64(numbers.count) - 2
            numberKeys[x.bitPattern] = k
            negative.append(0)
            return k
        }
    }

    /// Counts a row (as `weight`) and answers its key.
    @inline(__always)
    mutating func add(_ chunk: ColumnChunk, _ r: Int, weight: Double = 1) -> Int64 {
        let k = key(chunk, r)
        if k > 0 {
            dense[Int(k)] += weight
        } else if k < 0 {
            negative[Int(-k)] += weight
        } else {
            missing += weight
        }
        return k
    }

    mutating func count(_ chunk: ColumnChunk, _ rows: [Int32]) {
        if case .keyword(let k) = source {
            let codes = chunk.keywords[k]
            for r in rows {
                let c = Int(r) < codes.count ? Int(codes[Int(r)]) : 0
                dense[c] += 1
            }
            return
        }
        for r in rows { _ = add(chunk, Int(r)) }
    }

    /// Counts rows, each as its weight (`sum`): `weights` is the chunk's column of the summed
    /// attribute (`RowWeights.numbers`).
    mutating func count(_ chunk: ColumnChunk, _ rows: [Int32], weights: [Double]) {
        for r in rows { _ = add(chunk, Int(r), weight: RowWeights.weight(weights, Int(r))) }
    }

    func name(of key: Int64) -> String? {
        if key > 0 {
            switch source {
            case .keyword(let k): return columns.keywordValues[k].values[Int(key)]
            case .attribute: return columns.attributeValues.values[Int(key)]
            }
        }
        if key == -1 { return "false" }
        if key == -2 { return "true" }
        if key <= -3 { return JSONWriter.string(.double(numbers[Int(-key) - 3])) }
        return nil
    }

    /// Buckets by count descending, ties by key ascending (bytewise); values of different
    /// kinds with the same text count as one key. Only the candidates that can make the
    /// top `size` are sorted by key. `total` is the count (or sum) over all rows; a key
    /// whose count is 0 (with `sum`: whose events sum to 0) is not listed.
    func result(size: Int, total: Double) -> TermsResult {
        var missing = self.missing
        var entries: [(key: String, count: Double)] = []
        switch source {
        case .keyword:
            // Codes are distinct byte strings already: no merging needed.
            missing += dense.first ?? 0
            for code in 1..<max(1, dense.count) where dense[code] != 0 {
                entries.append((columns.keywordValues[Self.keywordIndex(source)].values[code], dense[code]))
            }
        case .attribute:
            var byName: [ExactString: Double] = [:]
            for code in 1..<max(1, dense.count) where dense[code] != 0 {
                byName[ExactString(name(of: Int64(code))!), default: 0] += dense[code]
            }
            for i in 1..<negative.count where negative[i] != 0 {
                byName[ExactString(name(of: -Int64(i))!), default: 0] += negative[i]
            }
            entries = byName.filter { $0.value != 0 }.map { ($0.key.value, $0.value) }
        }
        var top = entries
        if entries.count > size {
            // The size-th largest count: everything below it cannot be listed.
            var counts = entries.map(\.count)
            counts.sort(by: >)
            let threshold = counts[size - 1]
            top = entries.filter { $0.count >= threshold }
        }
        top.sort { a, b in a.count != b.count ? a.count > b.count : a.key.utf8.lexicographicallyPrecedes(b.key.utf8) }
        let buckets = top.prefix(size).map { TermsResult.Bucket(key: $0.key, count: $0.count) }
        let listed = buckets.reduce(0.0) { $0 + $1.count }
        return TermsResult(buckets: Array(buckets), otherCount: total - missing - listed, missingCount: missing)
    }

    private static func keywordIndex(_ source: Source) -> Int {
        if case .keyword(let k) = source { return k }
        return 0
    }
}

/// The weight of each row in a `sum` aggregation: the value of one numeric attribute, 0
/// where a row has none (or holds a string or bool there).
struct RowWeights {
    let attribute: UInt32?

    /// nil without `sum`: every row counts 1.
    init?(_ field: String?, columns: TenantColumns) {
        guard let field else { return nil }
        attribute = columns.attributeID(String(field.dropFirst("attributes.".count)))
    }

    /// The chunk's numbers of the summed attribute (NaN or past the end: no number).
    @inline(__always)
    func numbers(_ chunk: ColumnChunk) -> [Double] {
        guard let attribute, let column = chunk.attributes[attribute] else { return [] }
        return column.numbers
    }

    @inline(__always)
    static func weight(_ numbers: [Double], _ r: Int) -> Double {
        guard r < numbers.count else { return 0 }
        let x = numbers[r]
        return x.isNaN ? 0 : x
    }
}
