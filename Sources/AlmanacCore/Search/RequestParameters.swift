/// Search parameters from either a query string (every value a string) or a JSON body
/// (typed values), read through one set of typed accessors so GET and POST agree.
public struct RequestParameters: Sendable {
    public private(set) var values: [String: JSONValue]

    public init(values: [String: JSONValue]) { self.values = values }

    /// From a JSON body: must be an object.
    public init(json: JSONValue) throws(AlmanacError) {
        guard case .object(let o) = json else {
            throw AlmanacError(.validation, "the request body must be a JSON object, got \(json.typeDescription)")
        }
        var values: [String: JSONValue] = [:]
        for entry in o { values[entry.key] = entry.value }
        self.values = values
    }

    public subscript(name: String) -> JSONValue? { values[name] }

    public func rejectUnknown(allowed: Set<String>) throws(AlmanacError) {
        for name in values.keys.sorted() where !allowed.contains(name) {
            throw AlmanacError.invalidParameter(name, "unknown parameter; accepted: \(allowed.sorted().joined(separator: ", "))")
        }
    }

    public func string(_ name: String, maxBytes: Int? = nil) throws(AlmanacError) -> String? {
        guard let value = values[name], !value.isNull else { return nil }
        guard case .string(let s) = value else {
            throw AlmanacError.invalidParameter(name, "must be a string, got \(value.typeDescription)")
        }
        if let maxBytes, s.utf8.count > maxBytes {
            throw AlmanacError.invalidParameter(name, "longer than the limit of \(maxBytes) bytes (\(s.utf8.count) bytes)")
        }
        return s
    }

    /// A free-text parameter (`q`, `filter`): a value of spaces only is as if absent.
    public func text(_ name: String, maxBytes: Int) throws(AlmanacError) -> String? {
        guard let s = try string(name, maxBytes: maxBytes), !s.allSatisfy({ $0 == " " }) else { return nil }
        return s
    }

    public func int(_ name: String) throws(AlmanacError) -> Int? {
        guard let value = values[name], !value.isNull else { return nil }
        switch value {
        case .string(let s):
            guard let i = Int(s) else { throw AlmanacError.invalidParameter(name, "must be an integer, got '\(s.prefix(32))'") }
            return i
        default:
            guard let i = value.integerValue, let v = Int(exactly: i) else {
                throw AlmanacError.invalidParameter(name, "must be an integer, got \(value.typeDescription)")
            }
            return v
        }
    }

    public func bool(_ name: String) throws(AlmanacError) -> Bool? {
        guard let value = values[name], !value.isNull else { return nil }
        switch value {
        case .bool(let b): return b
        case .string(let s):
            switch s.lowercased() {
            case "true", "1", "yes": return true
            case "false", "0", "no": return false
            default: throw AlmanacError.invalidParameter(name, "must be true or false, got '\(s.prefix(32))'")
            }
        default: throw AlmanacError.invalidParameter(name, "must be true or false, got \(value.typeDescription)")
        }
    }

    /// A comma list in a string, or a JSON array of strings.
    public func list(_ name: String) throws(AlmanacError) -> [String]? {
        guard let value = values[name], !value.isNull else { return nil }
        switch value {
        case .string(let s):
            return s.split(separator: ",", omittingEmptySubsequences: false).map { String($0).trimmed }
        case .array(let items):
            var out: [String] = []
            for item in items {
                guard case .string(let s) = item else {
                    throw AlmanacError.invalidParameter(name, "must be a list of strings")
                }
                out.append(s.trimmed)
            }
            return out
        default:
            throw AlmanacError.invalidParameter(name, "must be a comma-separated string or an array of strings")
        }
    }
}

extension String {
    var trimmed: String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" { s.removeLast() }
        return String(s)
    }
}

/// The limits every request model checks: API.md's defaults, which the configuration
/// overrides. One set for products, events and aggregations alike.
public struct RequestLimits: Sendable {
    public var queryBytes = 1024
    public var filterBytes = 4096
    public var limitMax = 100
    public var limitDefault = 20
    public var windowMax = 10_000
    public var facetLimitMax = 1000
    public var maxAggregations = 32
    public var maxSize = 1000
    public var maxPercents = 100
    public init() {}
}

extension RequestParameters {
    /// `q` and `filter`, each within its limit; a value of only spaces counts as absent.
    func queryAndFilter(_ limits: RequestLimits) throws(AlmanacError) -> (q: String?, filter: String?) {
        (try text("q", maxBytes: limits.queryBytes), try text("filter", maxBytes: limits.filterBytes))
    }
}
