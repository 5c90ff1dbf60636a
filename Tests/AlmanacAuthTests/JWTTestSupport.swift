import AlmanacCore
import Testing

@testable import AlmanacAuth

/// A signing key, a verifier with a frozen clock, and helpers to build hostile tokens.
struct JWTFixture {
    static let now: Double = 1_800_000_000
    static let issuer = "https://almanac.test"
    static let audience = "almanac-api"

    let key: P256PrivateKey
    let kid = "tenant-a-2026-01"
    let signer: JWTSigner
    let verifier: JWTVerifier

    init(leeway: Double = 60) throws {
        key = try P256PrivateKey()
        signer = JWTSigner(key: key, kid: kid)
        verifier = JWTVerifier(issuer: Self.issuer, audience: Self.audience, leeway: leeway, clock: { JWTFixture.now })
    }

    /// Valid claims at `now`, with overrides (`nil` removes a claim).
    func claims(_ overrides: [(String, JSONValue?)] = []) -> JSONObject {
        var claims = JSONObject([
            ("iss", .string(Self.issuer)),
            ("aud", .string(Self.audience)),
            ("sub", "client-7"),
            ("tenant", "acme"),
            ("scope", "catalogue:read events:read"),
            ("client_id", "client-7"),
            ("jti", "6f1c2a"),
            ("iat", .int(Int64(Self.now) - 10)),
            ("nbf", .int(Int64(Self.now) - 10)),
            ("exp", .int(Int64(Self.now) + 300)),
        ])
        for (name, value) in overrides { claims[name] = value }
        return claims
    }

    func token(_ overrides: [(String, JSONValue?)] = []) throws -> String {
        try signer.sign(claims(overrides))
    }

    /// A token with an arbitrary header, signed (ES256) with `signingKey` over the exact
    /// encoded bytes, so only the property under test is wrong.
    func token(header: JSONObject, claims: JSONObject, signingKey: P256PrivateKey? = nil) throws -> String {
        let input = Base64URL.encode(JSONWriter.encode(.object(header))) + "." + Base64URL.encode(JSONWriter.encode(.object(claims)))
        let signature = try (signingKey ?? key).sign(Array(input.utf8))
        return input + "." + Base64URL.encode(signature)
    }

    var standardHeader: JSONObject { JSONObject([("alg", "ES256"), ("typ", "JWT"), ("kid", .string(kid))]) }

    /// Resolves only this fixture's kid, and only for tenant "acme" (as a real keyring would
    /// restrict kids to the token's tenant).
    func verify(_ token: String) throws(JWTError) -> VerifiedJWT {
        try verifier.verify(token) { kid, unverifiedClaims in
            kid == self.kid && unverifiedClaims["tenant"] == .string("acme") ? key.publicKey : nil
        }
    }

    func expectRefused(
        _ token: String, _ reason: JWTError.Reason, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        do {
            let verified = try verify(token)
            Issue.record("token was accepted: \(verified.claims)", sourceLocation: sourceLocation)
        } catch {
            #expect(error.reason == reason, "\(error)", sourceLocation: sourceLocation)
        }
    }
}

extension String {
    /// The token's three parts.
    var jwtParts: [String] { split(separator: ".", omittingEmptySubsequences: false).map(String.init) }
}
