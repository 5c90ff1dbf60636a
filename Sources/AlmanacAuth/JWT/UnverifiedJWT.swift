public import AlmanacCore

/// A token that passed the structural and header checks of `JWTVerifier.decode(_:)` but
/// whose signature has NOT been checked.
///
/// It exists for one purpose: choosing the verification key. `kid` and
/// `unverifiedClaims` (typically its `tenant`) may select which key set to search, and
/// nothing else; an attacker controls every byte of them. Only `JWTVerifier.verify(_:key:)`
/// turns it into a `VerifiedJWT`. It cannot be built outside this module, so the bytes
/// that get verified are always the bytes that were decoded.
public struct UnverifiedJWT: Sendable {
    /// The header's `kid`: which key the issuer claims to have used.
    public let kid: String
    /// The protected header (already checked: `alg` is `ES256`, no `crit`, `typ` is `JWT` or absent).
    public let header: JSONObject
    /// The payload as sent. Untrusted: use only to pick the key set.
    public let unverifiedClaims: JSONObject

    /// ASCII `header "." payload`, exactly as received.
    let signingInput: [UInt8]
    /// Raw `r || s`, 64 bytes.
    let signature: [UInt8]

    init(kid: String, header: JSONObject, unverifiedClaims: JSONObject, signingInput: [UInt8], signature: [UInt8]) {
        self.kid = kid
        self.header = header
        self.unverifiedClaims = unverifiedClaims
        self.signingInput = signingInput
        self.signature = signature
    }

    /// The `tenant` claim as sent, when it is a string. Untrusted: for key selection only.
    public var unverifiedTenant: String? { unverifiedClaims["tenant"]?.stringValue }
}

/// A token whose signature verified with the resolved key and whose registered claims
/// (`exp`, `nbf`, `iat`, `iss`, `aud`) passed. `claims` can now be trusted as far as the
/// key's owner is trusted: check that the tenant is one the key may speak for (the
/// resolver that picked the key by tenant already ensures it).
public struct VerifiedJWT: Sendable {
    public let kid: String
    public let header: JSONObject
    public let claims: JSONObject

    init(kid: String, header: JSONObject, claims: JSONObject) {
        self.kid = kid
        self.header = header
        self.claims = claims
    }

    /// `exp`, seconds since the epoch (always present in a verified token).
    public var expiresAt: Double { claims["exp"]?.numberValue ?? 0 }
    public var issuer: String? { claims["iss"]?.stringValue }
    public var subject: String? { claims["sub"]?.stringValue }
    public var tenant: String? { claims["tenant"]?.stringValue }
    public var clientID: String? { claims["client_id"]?.stringValue }
    public var jwtID: String? { claims["jti"]?.stringValue }

    /// The space-separated `scope` claim (RFC 8693 §4.2) as a list; empty when absent.
    public var scopes: [String] {
        guard let scope = claims["scope"]?.stringValue else { return [] }
        return scope.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
    }

    /// `aud` as a list (it may be a single string or an array).
    public var audiences: [String] {
        switch claims["aud"] {
        case .string(let s): [s]
        case .array(let a): a.compactMap(\.stringValue)
        default: []
        }
    }
}
