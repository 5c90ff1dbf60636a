public import AlmanacCore

/// A decoded `application/x-www-form-urlencoded` query string (API.md, "Conventions"):
/// `+` is a space, `%XX` escapes are decoded, and the result must be valid UTF-8.
public struct QueryParameters: Sendable {
    public private(set) var pairs: [(name: String, value: String)] = []

    public init(pairs: [(String, String)]) {
        self.pairs = pairs.map { (name: $0.0, value: $0.1) }
    }

    public init(query: String?) throws(AlmanacError) {
        guard let query, !query.isEmpty else { return }
        for part in query.split(separator: "&", omittingEmptySubsequences: true) {
            let pieces = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = try Self.decode(pieces[0], what: "parameter name")
            let value = pieces.count > 1 ? try Self.decode(pieces[1], what: "value of '\(name)'") : ""
            pairs.append((name, value))
        }
    }

    /// The last value given for `name`.
    public subscript(name: String) -> String? {
        pairs.last { $0.name == name }?.value
    }

    public var names: Set<String> { Set(pairs.map(\.name)) }

    /// Throws a 400 naming the first parameter not in `allowed`.
    public func rejectUnknown(allowed: Set<String>) throws(AlmanacError) {
        for pair in pairs where !allowed.contains(pair.name) {
            throw AlmanacError.invalidParameter(
                pair.name, "unknown parameter; accepted: \(allowed.sorted().joined(separator: ", "))")
        }
    }

    /// Form decoding of one component.
    static func decode(_ text: Substring, what: String) throws(AlmanacError) -> String {
        do throws(PercentDecoding.Failure) {
            return try PercentDecoding.decode(text, plusIsSpace: true)
        } catch {
            switch error {
            case .badEscape: throw AlmanacError(.badRequest, "query string: invalid percent-encoding in the \(what)")
            case .invalidUTF8: throw AlmanacError(.badRequest, "query string: the \(what) is not valid UTF-8")
            }
        }
    }

    /// Percent-decoding of a path segment (`+` stays `+`).
    public static func decodePathSegment(_ text: String) throws(AlmanacError) -> String {
        do throws(PercentDecoding.Failure) {
            return try PercentDecoding.decode(Substring(text), plusIsSpace: false)
        } catch {
            switch error {
            case .badEscape: throw AlmanacError(.badRequest, "path: invalid percent-encoding")
            case .invalidUTF8: throw AlmanacError(.badRequest, "path: not valid UTF-8 after percent-decoding")
            }
        }
    }

    // MARK: Typed accessors

    public func int(_ name: String, default value: Int, range: ClosedRange<Int>) throws(AlmanacError) -> Int {
        guard let text = self[name] else { return value }
        guard let v = Int(text) else { throw AlmanacError.invalidParameter(name, "must be an integer, got '\(text.prefix(32))'") }
        guard range.contains(v) else {
            throw AlmanacError.invalidParameter(name, "must be between \(range.lowerBound) and \(range.upperBound), got \(v)")
        }
        return v
    }

    public func bool(_ name: String, default value: Bool) throws(AlmanacError) -> Bool {
        guard let text = self[name] else { return value }
        switch text.lowercased() {
        case "true", "1", "yes", "": return true
        case "false", "0", "no": return false
        default: throw AlmanacError.invalidParameter(name, "must be true or false, got '\(text.prefix(32))'")
        }
    }

    public func int64(_ name: String) throws(AlmanacError) -> Int64? {
        guard let text = self[name] else { return nil }
        guard let v = Int64(text), v >= 0 else { throw AlmanacError.invalidParameter(name, "must be a non-negative integer") }
        return v
    }
}
