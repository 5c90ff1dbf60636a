/// A validated catalogue search (API.md, "Search parameters"), the same for GET and POST.
public struct ProductSearchRequest: Sendable, Equatable {
    public enum SortField: String, Sendable, CaseIterable {
        case score = "_score"
        case price, title
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }

    public struct SortKey: Sendable, Equatable {
        public var field: SortField
        public var descending: Bool
        public init(field: SortField, descending: Bool) {
            self.field = field
            self.descending = descending
        }
        public var description: String { "\(field.rawValue):\(descending ? "desc" : "asc")" }
    }

    public struct PriceRange: Sendable, Equatable {
        public var from: Int64?
        public var to: Int64?
        public init(from: Int64?, to: Int64?) {
            self.from = from
            self.to = to
        }
    }

    public var q: String?
    public var filter: String?
    public var facets: [String] = []
    public var facetLimit = 20
    public var priceRanges: [PriceRange] = []
    public var sort: [SortKey] = [SortKey(field: .score, descending: true)]
    public var limit = 20
    public var offset = 0
    public var cursor: String?
    public var highlight = false
    public var typo = true
    /// Count every match even past `exactTotalUpTo` (`exact_total=true`).
    public var exactTotal = false

    /// Totals are exact up to this many matches; past it a text query may answer
    /// `{"value": 10000, "relation": "gte"}` (Elasticsearch's default `track_total_hits`).
    public static let exactTotalUpTo = 10_000

    public static let parameterNames: Set<String> = [
        "q", "filter", "facets", "facet_limit", "price_ranges", "sort", "limit", "offset", "cursor", "highlight",
        "typo", "exact_total", "min_seq", "tenant",
    ]

    public static let facetFields: Set<String> = ["brand", "category", "tags", "currency", "in_stock"]

    public typealias Limits = RequestLimits

    public init() {}

    public init(parameters p: RequestParameters, limits: Limits = Limits()) throws(AlmanacError) {
        try p.rejectUnknown(allowed: Self.parameterNames)
        (q, filter) = try p.queryAndFilter(limits)
        if let facets = try p.list("facets") {
            for facet in facets where !facet.isEmpty {
                let isAttribute = facet.hasPrefix("attributes.") && facet.count > "attributes.".count
                guard Self.facetFields.contains(facet) || isAttribute else {
                    throw AlmanacError.invalidParameter(
                        "facets", "unknown facet '\(facet.prefix(64))'; facets are brand, category, tags, currency, in_stock, attributes.<name>")
                }
                if !self.facets.contains(facet) { self.facets.append(facet) }
            }
        }
        if let v = try p.int("facet_limit") {
            guard (1...limits.facetLimitMax).contains(v) else {
                throw AlmanacError.invalidParameter("facet_limit", "must be between 1 and \(limits.facetLimitMax), got \(v)")
            }
            facetLimit = v
        }
        if let ranges = try p.list("price_ranges") {
            for text in ranges {
                let parts = text.split(separator: ":", omittingEmptySubsequences: false)
                guard parts.count == 2 else {
                    throw AlmanacError.invalidParameter("price_ranges", "each range is from:to with open ends allowed (e.g. 0:1000,1000:), got '\(text.prefix(32))'")
                }
                func bound(_ s: Substring) throws(AlmanacError) -> Int64? {
                    if s.isEmpty { return nil }
                    guard let v = Int64(s), v >= 0 else {
                        throw AlmanacError.invalidParameter("price_ranges", "bounds must be non-negative integers, got '\(s.prefix(32))'")
                    }
                    return v
                }
                let range = PriceRange(from: try bound(parts[0]), to: try bound(parts[1]))
                if let f = range.from, let t = range.to, f >= t {
                    throw AlmanacError.invalidParameter("price_ranges", "'\(text)': from must be below to")
                }
                priceRanges.append(range)
            }
            if priceRanges.count > 100 { throw AlmanacError.invalidParameter("price_ranges", "at most 100 ranges") }
        }
        if let keys = try p.list("sort") {
            var parsed: [SortKey] = []
            for key in keys {
                let parts = key.split(separator: ":", omittingEmptySubsequences: false)
                guard parts.count <= 2, let field = SortField(rawValue: String(parts[0])) else {
                    throw AlmanacError.invalidParameter(
                        "sort", "unknown sort key '\(key.prefix(64))'; keys are _score, price, created_at, updated_at, title, each optionally :asc or :desc")
                }
                var descending = field == .score
                if parts.count == 2 {
                    switch parts[1] {
                    case "asc": descending = false
                    case "desc": descending = true
                    default: throw AlmanacError.invalidParameter("sort", "direction must be asc or desc, got '\(parts[1].prefix(16))'")
                    }
                }
                if parsed.contains(where: { $0.field == field }) {
                    throw AlmanacError.invalidParameter("sort", "'\(field.rawValue)' appears twice")
                }
                parsed.append(SortKey(field: field, descending: descending))
            }
            if parsed.isEmpty { throw AlmanacError.invalidParameter("sort", "must name at least one key") }
            sort = parsed
        }
        if let v = try p.int("limit") {
            // 0: the total and the facets without hits.
            guard (0...limits.limitMax).contains(v) else {
                throw AlmanacError.invalidParameter("limit", "must be between 0 and \(limits.limitMax), got \(v)")
            }
            limit = v
        }
        if let v = try p.int("offset") {
            guard v >= 0 else { throw AlmanacError.invalidParameter("offset", "must be >= 0, got \(v)") }
            offset = v
        }
        cursor = try p.string("cursor", maxBytes: 4096)
        if cursor != nil, p["offset"] != nil {
            throw AlmanacError.invalidParameter("cursor", "cannot be combined with offset")
        }
        if offset + limit > limits.windowMax {
            throw AlmanacError.invalidParameter(
                "offset", "offset + limit must be <= \(limits.windowMax) (got \(offset + limit)); use cursor (page.next_cursor) for deeper pages")
        }
        highlight = try p.bool("highlight") ?? false
        typo = try p.bool("typo") ?? true
        exactTotal = try p.bool("exact_total") ?? false
    }

    /// A canonical rendering of everything that determines the answer except paging, for
    /// cache keys and cursor fingerprints.
    public var canonicalQuery: String {
        var parts: [String] = []
        parts.append("q=" + (q ?? ""))
        parts.append("filter=" + (filter ?? ""))
        parts.append("facets=" + facets.joined(separator: ","))
        parts.append("facet_limit=\(facetLimit)")
        parts.append("price_ranges=" + priceRanges.map { "\($0.from.map(String.init) ?? ""):\($0.to.map(String.init) ?? "")" }.joined(separator: ","))
        parts.append("sort=" + sort.map(\.description).joined(separator: ","))
        parts.append("highlight=\(highlight)")
        parts.append("typo=\(typo)")
        parts.append("exact_total=\(exactTotal)")
        return parts.joined(separator: "\u{1F}")
    }

    /// The canonical form including paging: the whole cache identity of the request.
    public var canonical: String {
        canonicalQuery + "\u{1F}limit=\(limit)\u{1F}offset=\(offset)\u{1F}cursor=\(cursor ?? "")"
    }
}
