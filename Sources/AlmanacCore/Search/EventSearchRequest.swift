/// A validated timeline search (API.md, "Timeline" search parameters): `q` over `message`,
/// `[from, to)` on `occurred_at`, `filter`, `sort` by `occurred_at` (ties by `id`
/// ascending), `limit` (0 gives only the total) and `cursor`.
public struct EventSearchRequest: Sendable, Equatable {
    public var q: String?
    public var filter: String?
    public var range = EventTimeRange()
    /// `occurred_at:desc` (the default) or `occurred_at:asc`.
    public var descending = true
    public var limit = 20
    public var cursor: String?

    public static let parameterNames: Set<String> = ["q", "filter", "from", "to", "sort", "limit", "cursor", "min_seq", "tenant"]

    public struct Limits: Sendable {
        public var queryBytes = 1024
        public var filterBytes = 4096
        public var limitMax = 100
        public var limitDefault = 20
        public init() {}
    }

    public init() {}

    public init(parameters p: RequestParameters, limits: Limits = Limits()) throws(AlmanacError) {
        try p.rejectUnknown(allowed: Self.parameterNames)
        q = try p.text("q", maxBytes: limits.queryBytes)
        filter = try p.text("filter", maxBytes: limits.filterBytes)
        range = try EventTimeRange(parameters: p)
        if let sort = try p.string("sort", maxBytes: 64) {
            switch sort {
            case "occurred_at:desc": descending = true
            case "occurred_at:asc", "occurred_at": descending = false
            default:
                throw AlmanacError.invalidParameter("sort", "must be occurred_at:desc or occurred_at:asc, got '\(sort.prefix(32))'")
            }
        }
        limit = limits.limitDefault
        if let v = try p.int("limit") {
            guard (0...limits.limitMax).contains(v) else {
                throw AlmanacError.invalidParameter("limit", "must be between 0 and \(limits.limitMax), got \(v)")
            }
            limit = v
        }
        cursor = try p.string("cursor", maxBytes: 4096)
        if cursor?.isEmpty == true { cursor = nil }
    }

    /// Everything that determines the matches and their order (no paging): cursor
    /// fingerprints and cache keys.
    public var canonicalQuery: String {
        ["q=" + (q ?? ""), "filter=" + (filter ?? ""), range.canonical, "sort=" + (descending ? "desc" : "asc")]
            .joined(separator: "\u{1F}")
    }

    /// The whole cache identity of the request.
    public var canonical: String {
        canonicalQuery + "\u{1F}limit=\(limit)\u{1F}cursor=\(cursor ?? "")"
    }
}

/// `[from, to)` on `occurred_at`, either end open.
public struct EventTimeRange: Sendable, Hashable {
    /// Inclusive, microseconds.
    public var from: Int64?
    /// Exclusive, microseconds.
    public var to: Int64?

    public init(from: Int64? = nil, to: Int64? = nil) {
        self.from = from
        self.to = to
    }

    /// Reads `from` and `to` (RFC 3339, any offset); `from >= to` is a 400.
    public init(parameters p: RequestParameters) throws(AlmanacError) {
        from = try Self.time(p, "from")
        to = try Self.time(p, "to")
        if let from, let to, from >= to {
            throw AlmanacError.invalidParameter(
                "to", "must be later than from (the range is [from, to)), got from \(Timestamp(microseconds: from)) and to \(Timestamp(microseconds: to))")
        }
    }

    static func time(_ p: RequestParameters, _ name: String) throws(AlmanacError) -> Int64? {
        guard let value = p[name], !value.isNull else { return nil }
        guard case .string(let text) = value else {
            throw AlmanacError.invalidParameter(name, "must be an RFC 3339 time string such as 2024-01-02T03:04:05Z, got \(value.typeDescription)")
        }
        if text.isEmpty {
            throw AlmanacError.invalidParameter(name, "is empty; give an RFC 3339 time such as 2024-01-02T03:04:05Z or leave it out")
        }
        do {
            return try Timestamp(rfc3339: text).microseconds
        } catch {
            throw AlmanacError.invalidParameter(name, error.message + " (a literal + travels as %2B in a query string)")
        }
    }

    /// Whether `t` (microseconds) lies in the range.
    @inline(__always)
    public func contains(_ t: Int64) -> Bool {
        if let from, t < from { return false }
        if let to, t >= to { return false }
        return true
    }

    public var canonical: String {
        "from=\(from.map(String.init) ?? "")\u{1F}to=\(to.map(String.init) ?? "")"
    }
}
