import AlmanacCore

/// The scopes of API.md and the tenant naming rule.
public enum Scope {
    public static let catalogueRead = "catalogue:read"
    public static let catalogueWrite = "catalogue:write"
    public static let eventsRead = "events:read"
    public static let eventsWrite = "events:write"
    public static let admin = "admin"

    public static let all: [String] = [catalogueRead, catalogueWrite, eventsRead, eventsWrite, admin]

    /// Parses a space- or comma-separated scope list, rejecting unknown scopes.
    public static func parse(_ text: String) throws(AlmanacError) -> [String] {
        var out: [String] = []
        for part in text.split(whereSeparator: { $0 == " " || $0 == "," }) {
            let scope = String(part)
            guard all.contains(scope) else {
                throw AlmanacError.invalidParameter("scopes", "unknown scope '\(scope.prefix(40))'; scopes are \(all.joined(separator: " "))")
            }
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
