/// A validated `POST /v1/events/aggregate` body (API.md, "Aggregate request"): the same
/// `q`, `filter` and `[from, to)` as search, and named aggregations that share one pass
/// over the matches.
public struct EventAggregateRequest: Sendable, Equatable {
    public var q: String?
    public var filter: String?
    public var range = EventTimeRange()
    /// In the order the body gives them.
    public var aggregations: [NamedAggregation] = []
    public var minSeq: Int64?

    public static let parameterNames: Set<String> = ["q", "filter", "from", "to", "aggs", "min_seq", "tenant"]

    public typealias Limits = RequestLimits

    public init() {}

    public init(json: JSONValue, limits: Limits = Limits()) throws(AlmanacError) {
        let p = try RequestParameters(json: json)
        try p.rejectUnknown(allowed: Self.parameterNames)
        (q, filter) = try p.queryAndFilter(limits)
        range = try EventTimeRange(parameters: p)
        if let v = try p.int("min_seq") {
            guard v >= 0 else { throw AlmanacError.invalidParameter("min_seq", "must be a non-negative integer") }
            minSeq = Int64(v)
        }
        guard let aggs = p["aggs"], !aggs.isNull else {
            throw AlmanacError.invalidParameter("aggs", "required: an object naming the aggregations, e.g. {\"per_day\": {\"date_histogram\": {\"interval\": \"day\"}}}")
        }
        guard case .object(let named) = aggs else {
            throw AlmanacError.invalidParameter("aggs", "must be an object of named aggregations, got \(aggs.typeDescription)")
        }
        guard named.count <= limits.maxAggregations else {
            throw AlmanacError.invalidParameter("aggs", "at most \(limits.maxAggregations) aggregations, got \(named.count)")
        }
        for entry in named {
            let name = entry.key
            guard !name.isEmpty, name.utf8.count <= 128 else {
                throw AlmanacError.invalidParameter("aggs", "aggregation names must be 1-128 bytes")
            }
            aggregations.append(NamedAggregation(name: name, aggregation: try Aggregation(entry.value, path: "aggs.\(name)", limits: limits)))
        }
    }

    /// Whether any aggregation or the filter needs a field the columnar store lacks.
    public var fields: Set<String> { Set(aggregations.flatMap(\.aggregation.fields)) }

    /// The whole cache identity of the request (aggregations in a canonical JSON form).
    public var canonical: String {
        var aggs = JSONObject()
        for a in aggregations { aggs[a.name] = a.aggregation.canonicalJSON }
        return ["q=" + (q ?? ""), "filter=" + (filter ?? ""), range.canonical, "aggs=" + JSONWriter.string(.object(aggs))]
            .joined(separator: "\u{1F}")
    }
}

public struct NamedAggregation: Sendable, Equatable {
    public var name: String
    public var aggregation: Aggregation
}

public enum Aggregation: Sendable, Equatable {
    case dateHistogram(DateHistogramSpec)
    case terms(TermsSpec)
    case stats(field: String)
    case percentiles(field: String, percents: [Double])

    public static let kinds = ["date_histogram", "terms", "stats", "percentiles"]

    public struct DateHistogramSpec: Sendable, Equatable {
        public var interval: HistogramInterval
        public var timeZone: TimeZoneName
        public var split: TermsSpec?
        /// `sum`: each bucket's count (and its split counts) is the sum of this numeric
        /// attribute over its events instead of their number.
        public var sum: String?
    }

    public struct TermsSpec: Sendable, Equatable {
        public var field: String
        public var size: Int
        /// `sum`: each bucket's count (and `other_count`, `missing_count`) is the sum of this
        /// numeric attribute over its events instead of their number (nil for `split_by`,
        /// which follows its histogram's `sum`).
        public var sum: String?
    }

    /// The default `percents` (Elasticsearch's).
    public static let defaultPercents: [Double] = [1, 5, 25, 50, 75, 95, 99]

    /// Fields `terms` and `split_by` may group by: the keyword fields and attributes.
    public static let termFields: Set<String> = ["id", "type", "source", "actor", "severity", "entity.type", "entity.id"]

    init(_ value: JSONValue, path: String, limits: EventAggregateRequest.Limits) throws(AlmanacError) {
        guard case .object(let o) = value, o.count == 1, let entry = o.entries.first else {
            throw AlmanacError.invalidParameter(path, "must be an object with exactly one aggregation kind (\(Self.kinds.joined(separator: ", ")))")
        }
        let kindPath = path + "." + entry.key
        guard case .object(let body) = entry.value else {
            throw AlmanacError.invalidParameter(kindPath, "must be an object, got \(entry.value.typeDescription)")
        }
        let p = RequestParameters(values: Dictionary(body.entries.map { ($0.key, $0.value) }, uniquingKeysWith: { _, b in b }))
        switch entry.key {
        case "date_histogram":
            try Self.reject(p, allowed: ["interval", "time_zone", "split_by", "sum"], kindPath)
            guard let text = try Self.string(p, "interval", kindPath) else {
                throw AlmanacError.invalidParameter(kindPath + ".interval", "required (minute, hour, day, week, month, year, or e.g. 30s, 5m, 12h, 2d)")
            }
            let interval: HistogramInterval
            do { interval = try HistogramInterval(parsing: text) } catch {
                throw AlmanacError.invalidParameter(kindPath + ".interval", error.detail)
            }
            var zone = TimeZoneName.utc
            if let z = try Self.string(p, "time_zone", kindPath) {
                do { zone = try TimeZoneName(parsing: z) } catch {
                    throw AlmanacError.invalidParameter(kindPath + ".time_zone", error.detail)
                }
            }
            var split: TermsSpec?
            if let s = p["split_by"], !s.isNull {
                guard case .object(let so) = s else {
                    throw AlmanacError.invalidParameter(kindPath + ".split_by", "must be an object {\"field\": ..., \"size\": ...}")
                }
                let sp = RequestParameters(values: Dictionary(so.entries.map { ($0.key, $0.value) }, uniquingKeysWith: { _, b in b }))
                split = try Self.termsSpec(sp, kindPath + ".split_by", limits: limits, allowsSum: false)
            }
            let sum = try Self.sumField(p, kindPath)
            self = .dateHistogram(DateHistogramSpec(interval: interval, timeZone: zone, split: split, sum: sum))
        case "terms":
            self = .terms(try Self.termsSpec(p, kindPath, limits: limits, allowsSum: true))
        case "stats":
            try Self.reject(p, allowed: ["field"], kindPath)
            self = .stats(field: try Self.numericField(p, kindPath))
        case "percentiles":
            try Self.reject(p, allowed: ["field", "percents"], kindPath)
            let field = try Self.numericField(p, kindPath)
            var percents = Self.defaultPercents
            if let list = p["percents"], !list.isNull {
                guard case .array(let items) = list, !items.isEmpty, items.count <= limits.maxPercents else {
                    throw AlmanacError.invalidParameter(kindPath + ".percents", "must be a list of 1 to \(limits.maxPercents) numbers in (0, 100]")
                }
                percents = []
                for item in items {
                    guard let v = item.numberValue, v.isFinite, v > 0, v <= 100 else {
                        throw AlmanacError.invalidParameter(
                            kindPath + ".percents", "every percent must be a number in (0, 100], got \(JSONWriter.string(item).prefix(32))")
                    }
                    if !percents.contains(v) { percents.append(v) }
                }
            }
            self = .percentiles(field: field, percents: percents)
        default:
            throw AlmanacError.invalidParameter(
                path, "unknown aggregation kind '\(entry.key.prefix(64))'; kinds are \(Self.kinds.joined(separator: ", "))")
        }
    }

    private static func reject(_ p: RequestParameters, allowed: Set<String>, _ path: String) throws(AlmanacError) {
        for name in p.values.keys.sorted() where !allowed.contains(name) {
            throw AlmanacError.invalidParameter(path + "." + name, "unknown option; accepted: \(allowed.sorted().joined(separator: ", "))")
        }
    }

    private static func string(_ p: RequestParameters, _ name: String, _ path: String) throws(AlmanacError) -> String? {
        guard let v = p[name], !v.isNull else { return nil }
        guard case .string(let s) = v else {
            throw AlmanacError.invalidParameter(path + "." + name, "must be a string, got \(v.typeDescription)")
        }
        return s
    }

    private static func termsSpec(
        _ p: RequestParameters, _ path: String, limits: EventAggregateRequest.Limits, allowsSum: Bool
    ) throws(AlmanacError) -> TermsSpec {
        try reject(p, allowed: allowsSum ? ["field", "size", "sum"] : ["field", "size"], path)
        guard let field = try string(p, "field", path) else {
            throw AlmanacError.invalidParameter(path + ".field", "required")
        }
        guard termFields.contains(field) || isAttribute(field) else {
            throw AlmanacError.invalidParameter(
                path + ".field",
                "'\(field.prefix(64))' is not a string field; use one of \(termFields.sorted().joined(separator: ", ")), attributes.<name>")
        }
        var size = 10
        if let v = p["size"], !v.isNull {
            guard let i = v.integerValue, i >= 1, i <= Int64(limits.maxSize) else {
                throw AlmanacError.invalidParameter(path + ".size", "must be an integer between 1 and \(limits.maxSize), got \(JSONWriter.string(v).prefix(32))")
            }
            size = Int(i)
        }
        return TermsSpec(field: field, size: size, sum: allowsSum ? try sumField(p, path) : nil)
    }

    /// The optional `sum` of `terms` and `date_histogram`: a numeric attribute.
    private static func sumField(_ p: RequestParameters, _ path: String) throws(AlmanacError) -> String? {
        guard let field = try string(p, "sum", path) else { return nil }
        guard isAttribute(field) else {
            throw AlmanacError.invalidParameter(
                path + ".sum", "'\(field.prefix(64))' is not a numeric attribute; sum takes one such as attributes.searches")
        }
        return field
    }

    private static func numericField(_ p: RequestParameters, _ path: String) throws(AlmanacError) -> String {
        guard let field = try string(p, "field", path) else {
            throw AlmanacError.invalidParameter(path + ".field", "required: a numeric attribute such as attributes.duration_ms")
        }
        guard isAttribute(field) else {
            let what = field == "occurred_at" ? "a time" : (FilterSchema.events.fieldType(of: field) != nil || field == "message" ? "a string field" : "not a known field")
            throw AlmanacError.invalidParameter(
                path + ".field", "'\(field.prefix(64))' is \(what), not numeric; stats and percentiles take a numeric attribute such as attributes.duration_ms")
        }
        return field
    }

    static func isAttribute(_ field: String) -> Bool {
        field.hasPrefix("attributes.") && field.utf8.count > "attributes.".utf8.count
    }

    /// The numeric attribute this aggregation sums, stats or ranks (nil: it only counts).
    public var numericField: String? {
        switch self {
        case .dateHistogram(let h): h.sum
        case .terms(let t): t.sum
        case .stats(let f), .percentiles(let f, _): f
        }
    }

    /// The fields this aggregation reads.
    public var fields: [String] {
        switch self {
        case .dateHistogram(let h): ["occurred_at"] + (h.split.map { [$0.field] } ?? []) + (h.sum.map { [$0] } ?? [])
        case .terms(let t): [t.field] + (t.sum.map { [$0] } ?? [])
        case .stats(let f), .percentiles(let f, _): [f]
        }
    }

    var canonicalJSON: JSONValue {
        switch self {
        case .dateHistogram(let h):
            var o = JSONObject()
            o["interval"] = .string(h.interval.description)
            o["time_zone"] = .string(h.timeZone.description)
            if let s = h.split { o["split_by"] = ["field": .string(s.field), "size": .int(Int64(s.size))] }
            if let sum = h.sum { o["sum"] = .string(sum) }
            return ["date_histogram": .object(o)]
        case .terms(let t):
            var o = JSONObject([("field", .string(t.field)), ("size", .int(Int64(t.size)))])
            if let sum = t.sum { o["sum"] = .string(sum) }
            return ["terms": .object(o)]
        case .stats(let f): return ["stats": ["field": .string(f)]]
        case .percentiles(let f, let p): return ["percentiles": ["field": .string(f), "percents": .array(p.map { .double($0) })]]
        }
    }
}
