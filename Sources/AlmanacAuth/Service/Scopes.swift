public import AlmanacCore

/// The scopes of API.md. A token's `scope` claim and a client's stored list carry their
/// wire names; everything past the verifier holds them typed.
public enum Scope: String, CaseIterable, Sendable, Hashable {
    case catalogueRead = "catalogue:read"
    case catalogueWrite = "catalogue:write"
    case eventsRead = "events:read"
    case eventsWrite = "events:write"
    case admin

    public static let all: [Scope] = allCases

    /// Every scope's wire name, space-separated (an unnarrowed token's `scope` claim).
    public static var allNames: String { all.map(\.rawValue).joined(separator: " ") }

    /// A scope named by a client; unknown names are a 400 that lists the known ones.
    public init(validating name: some StringProtocol) throws(AlmanacError) {
        guard let scope = Scope(rawValue: String(name)) else {
            throw AlmanacError.invalidParameter("scopes", "unknown scope '\(name.prefix(40))'; scopes are \(Scope.allNames)")
        }
        self = scope
    }

    /// Parses a space- or comma-separated scope list, rejecting unknown scopes.
    public static func parse(_ text: String) throws(AlmanacError) -> [Scope] {
        var out: [Scope] = []
        for part in text.split(whereSeparator: { $0 == " " || $0 == "," }) {
            let scope = try Scope(validating: part)
            if !out.contains(scope) { out.append(scope) }
        }
        return out
    }
}

public enum TenantName {
    /// The platform operator's tenant.
    public static let platform = "*"

    /// `*`, or 1-64 of a-z 0-9 _ - starting with a letter or digit.
    public static func isValid(_ name: String) -> Bool {
        if name == platform { return true }
        let utf8 = Array(name.utf8)
        guard (1...64).contains(utf8.count) else { return false }
        for (i, b) in utf8.enumerated() {
            let alnum = (b >= UInt8(ascii: "a") && b <= UInt8(ascii: "z")) || (b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9"))
            if i == 0 && !alnum { return false }
            if !alnum && b != UInt8(ascii: "_") && b != UInt8(ascii: "-") { return false }
        }
        return true
    }

    public static let rule = "a tenant is 1-64 characters of a-z 0-9 _ - (or * for the platform operator)"
}
