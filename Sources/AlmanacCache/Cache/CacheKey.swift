import AlmanacCore

/// What a cached answer was computed over: one collection per index.
public enum CacheCollection: String, Sendable, Hashable, CaseIterable {
    case products
    case events
}

/// A query-cache key: `almanac:<tenant>|<collection>|<generation>|<hex digest>`.
///
/// The digest is the caller's sha256 of the canonical request. A new index generation
/// makes every older key unreachable (and TTL reclaims it), so writes never delete keys.
/// `%` and `|` inside the tenant are percent-encoded, so two different (tenant,
/// collection) pairs can never produce the same key.
public struct CacheKey: Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String

    /// - Parameter digestHex: the request digest, already hex-encoded (lowercased here).
    public init(tenant: String, collection: CacheCollection, generation: some BinaryInteger, digestHex: String) {
        rawValue = "almanac:" + Self.escaped(tenant) + "|" + collection.rawValue + "|"
            + String(generation) + "|" + digestHex.lowercased()
    }

    /// - Parameter digest: the raw digest bytes, hex-encoded here.
    public init(tenant: String, collection: CacheCollection, generation: some BinaryInteger, digest: some Sequence<UInt8>) {
        self.init(tenant: tenant, collection: collection, generation: generation, digestHex: Hex.encode(digest))
    }

    public var description: String { rawValue }

    private static func escaped(_ component: String) -> String {
        guard component.utf8.contains(where: { $0 == UInt8(ascii: "|") || $0 == UInt8(ascii: "%") }) else {
            return component
        }
        var out = ""
        for character in component.unicodeScalars {
            switch character {
            case "%": out += "%25"
            case "|": out += "%7C"
            default: out.unicodeScalars.append(character)
            }
        }
        return out
    }
}
