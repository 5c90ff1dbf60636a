import AlmanacAuth
import AlmanacCore
import Foundation
import HTTPTypes
import Testing

@testable import AlmanacApp
@testable import AlmanacServer

/// Hostile bearer tokens, each refused over HTTP with 401 and
/// `WWW-Authenticate: Bearer error="invalid_token"` (RFC 8725 and the issue's attack list).
/// Every test first shows the honest token of the same client works, so the 401 comes from
/// the attack and nothing else.
@Suite("Auth: token attacks")
struct AuthAttackTests {
    /// What an attack gets to work with.
    struct Setup {
        let app: TestApp
        let tenant: String
        let client: ClientRegistry.Created
        let token: String
        let kid: String
        let signer: JWTSigner
    }

    /// Issues an honest token for a fresh tenant, checks it works, then sends `forge`'s
    /// token and expects the bearer challenge.
    func expectRefused(
        sourceLocation: SourceLocation = #_sourceLocation, _ forge: @Sendable (Setup) async throws -> String
    ) async throws {
        try await AuthHarness.run { app, logs in
            let tenant = TestApp.tenant("atk")
            let (client, token) = try await app.newClient(tenant: tenant, scopes: [Scope.catalogueRead, Scope.eventsRead])
            let signer = try await app.services.tokens.keyring.signer(for: tenant)
            #expect(try Forge.header(token)["kid"] == .string(signer.kid), sourceLocation: sourceLocation)
            let honest = try await app.get("/v1/products/search", token: token)
            #expect(honest.status == 200, "the honest token must work: \(honest.text)", sourceLocation: sourceLocation)

            let setup = Setup(app: app, tenant: tenant, client: client, token: token, kid: signer.kid, signer: signer)
            let forged = try await forge(setup)
            let reply = try await app.get("/v1/products/search", token: forged)
            #expect(reply.isInvalidTokenChallenge, "\(reply.status) \(reply.headers[.wwwAuthenticate] ?? "-") \(reply.text)",
                sourceLocation: sourceLocation)
            #expect(reply.isProblem(401), sourceLocation: sourceLocation)
            // The refusal never echoes the token.
            #expect(!reply.text.contains(forged.prefix(40)), sourceLocation: sourceLocation)
            #expect(!logs.transcript.contains(forged.prefix(40)), sourceLocation: sourceLocation)
            #expect(!logs.entries(containing: "bearer token refused").isEmpty, sourceLocation: sourceLocation)
        }
    }

    @Test func algNone() async throws {
        try await expectRefused { s in
            var claims = try Forge.claims(s.token)
            claims["scope"] = .string(Scope.allNames)
            let header = JSONObject([("alg", "none"), ("typ", "JWT"), ("kid", .string(s.kid))])
            return Forge.encode(header) + "." + Forge.encode(claims) + "."
        }
    }

    @Test func algNoneWithTheOriginalSignature() async throws {
        try await expectRefused { s in
            let parts = Forge.parts(s.token)
            let header = JSONObject([("alg", "none"), ("typ", "JWT"), ("kid", .string(s.kid))])
            return Forge.encode(header) + "." + parts[1] + "." + parts[2]
        }
    }

    @Test func hs256SignedWithThePublicKeyAsSecret() async throws {
        try await expectRefused { s in
            // The classic key confusion: the attacker HMACs with the public key a JWKS
            // publishes, hoping the server feeds its "key" to HMAC.
            let secret = Array(try s.signer.key.publicKey.pemRepresentation().utf8)
            let header = JSONObject([("alg", "HS256"), ("typ", "JWT"), ("kid", .string(s.kid))])
            var claims = try Forge.claims(s.token)
            claims["scope"] = .string(Scope.allNames)
            let input = Forge.encode(header) + "." + Forge.encode(claims)
            return input + "." + Base64URL.encode(try HMACSHA256.authenticate(key: secret, message: Array(input.utf8)))
        }
    }

    @Test func hs256SignedWithTheRawPublicPoint() async throws {
        try await expectRefused { s in
            let secret = s.signer.key.publicKey.rawRepresentation
            let header = JSONObject([("alg", "HS256"), ("typ", "JWT"), ("kid", .string(s.kid))])
            let input = Forge.encode(header) + "." + Forge.parts(s.token)[1]
            return input + "." + Base64URL.encode(try HMACSHA256.authenticate(key: secret, message: Array(input.utf8)))
        }
    }

    @Test func rs256() async throws {
        try await expectRefused { s in
            let header = JSONObject([("alg", "RS256"), ("typ", "JWT"), ("kid", .string(s.kid))])
            let input = Forge.encode(header) + "." + Forge.parts(s.token)[1]
            return input + "." + Base64URL.encode(try SecureRandom.bytes(256))
        }
    }

    @Test func expired() async throws {
        try await expectRefused { s in
            let now = Timestamp.now().seconds
            // Expired 2 minutes ago: beyond the 60 s leeway.
            return try s.signer.sign(
                Forge.claims(
                    tenant: s.tenant, clientID: s.client.clientID,
                    [("iat", .int(now - 1020)), ("nbf", .int(now - 1020)), ("exp", .int(now - 120))]))
        }
    }

    /// The verifier remembers tokens whose signature it checked (`VerifiedTokenCache`):
    /// a token accepted a moment ago must still be refused once it expires.
    @Test func tokenAcceptedBeforeIsRefusedOnceExpired() async throws {
        try await AuthHarness.run(configure: { $0.auth.leewaySeconds = 0 }) { app, _ in
            let tenant = TestApp.tenant("atk")
            let (client, _) = try await app.newClient(tenant: tenant, scopes: [Scope.catalogueRead])
            let signer = try await app.services.tokens.keyring.signer(for: tenant)
            let exp = Timestamp.now().seconds + 4
            let token = try signer.sign(
                Forge.claims(tenant: tenant, clientID: client.clientID, scope: Scope.catalogueRead.rawValue, [("exp", .int(exp))]))
            for _ in 0..<3 {
                let reply = try await app.get("/v1/products/search", token: token)
                #expect(reply.status == 200, "\(reply.text)")
            }
            while Timestamp.now().seconds < exp + 1 { try await Task.sleep(for: .milliseconds(200)) }
            let late = try await app.get("/v1/products/search", token: token)
            #expect(late.isInvalidTokenChallenge)
            #expect(late.isProblem(401))
        }
    }

    @Test func notBeforeInTheFuture() async throws {
        try await expectRefused { s in
            let now = Timestamp.now().seconds
            return try s.signer.sign(
                Forge.claims(tenant: s.tenant, clientID: s.client.clientID, [("nbf", .int(now + 120)), ("exp", .int(now + 1000))]))
        }
    }

    @Test func issuedInTheFuture() async throws {
        try await expectRefused { s in
            let now = Timestamp.now().seconds
            return try s.signer.sign(
                Forge.claims(tenant: s.tenant, clientID: s.client.clientID, [("iat", .int(now + 120)), ("exp", .int(now + 1000))]))
        }
    }

    @Test func missingExp() async throws {
        try await expectRefused { s in
            try s.signer.sign(Forge.claims(tenant: s.tenant, clientID: s.client.clientID, [("exp", nil)]))
        }
    }

    @Test func missingKid() async throws {
        try await expectRefused { s in
            try Forge.es256(
                header: Forge.es256Header(kid: nil), claims: Forge.claims(tenant: s.tenant, clientID: s.client.clientID),
                key: s.signer.key)
        }
    }

    @Test func kidOfAnotherTenant() async throws {
        try await expectRefused { s in
            // Tenant B's real key signs a token that claims tenant A and names B's kid:
            // the kid is looked up among A's keys only.
            let other = try await s.app.services.tokens.keyring.signer(for: TestApp.tenant("other"))
            return try other.sign(Forge.claims(tenant: s.tenant, clientID: s.client.clientID))
        }
    }

    @Test func kidOfAnotherTenantSignedByThisTenant() async throws {
        try await expectRefused { s in
            let other = try await s.app.services.tokens.keyring.signer(for: TestApp.tenant("other"))
            return try Forge.es256(
                header: Forge.es256Header(kid: other.kid), claims: Forge.claims(tenant: s.tenant, clientID: s.client.clientID),
                key: s.signer.key)
        }
    }

    @Test func unknownKid() async throws {
        try await expectRefused { s in
            try Forge.es256(
                header: Forge.es256Header(kid: "no-such-kid"), claims: Forge.claims(tenant: s.tenant, clientID: s.client.clientID),
                key: s.signer.key)
        }
    }

    @Test func platformOperatorClaimSignedWithATenantKey() async throws {
        try await expectRefused { s in
            // A tenant key cannot mint an operator: tenant "*" resolves only among platform keys.
            try s.signer.sign(Forge.claims(tenant: TenantName.platform, clientID: s.client.clientID))
        }
    }

    @Test func tamperedPayload() async throws {
        try await expectRefused { s in
            let parts = Forge.parts(s.token)
            var claims = try Forge.claims(s.token)
            claims["scope"] = .string(Scope.allNames)
            return parts[0] + "." + Forge.encode(claims) + "." + parts[2]
        }
    }

    @Test func tamperedPayloadTenant() async throws {
        try await expectRefused { s in
            let parts = Forge.parts(s.token)
            var claims = try Forge.claims(s.token)
            claims["tenant"] = .string(TestApp.tenant("victim"))
            return parts[0] + "." + Forge.encode(claims) + "." + parts[2]
        }
    }

    @Test func tamperedHeader() async throws {
        try await expectRefused { s in
            let parts = Forge.parts(s.token)
            var header = try Forge.header(s.token)
            header["cty"] = "JWT"
            return Forge.encode(header) + "." + parts[1] + "." + parts[2]
        }
    }

    @Test func signatureOfAnotherToken() async throws {
        try await expectRefused { s in
            // Same tenant, same key: a second honest token's signature on the first's content.
            let second = try await s.app.httpToken(s.client, scope: Scope.catalogueRead.rawValue)
            let a = Forge.parts(s.token)
            let b = Forge.parts(second)
            #expect(a[1] != b[1])
            return a[0] + "." + a[1] + "." + b[2]
        }
    }

    @Test func revokedClientsToken() async throws {
        try await expectRefused { s in
            let admin = try await s.app.newClient(tenant: s.tenant, scopes: [Scope.admin]).token
            let revoke = try await s.app.request(.delete, "/v1/clients/\(s.client.clientID)", token: admin)
            #expect(revoke.status == 200, "\(revoke.text)")
            return s.token
        }
    }

    @Test func oversizedHeader() async throws {
        try await expectRefused { s in
            var header = Forge.es256Header(kid: s.kid)
            header["x-pad"] = .string(String(repeating: "A", count: 2048))
            return try Forge.es256(header: header, claims: Forge.claims(tenant: s.tenant, clientID: s.client.clientID), key: s.signer.key)
        }
    }

    @Test func oversizedToken() async throws {
        try await expectRefused { s in
            try s.signer.sign(
                Forge.claims(tenant: s.tenant, clientID: s.client.clientID, [("pad", .string(String(repeating: "B", count: 9000)))]))
        }
    }

    @Test func garbage() async throws {
        try await expectRefused { _ in "garbage" }
    }

    @Test func garbageInThreeParts() async throws {
        try await expectRefused { _ in "eyJhbGciOiJFUzI1NiJ9.%%%%.!!!!" }
    }

    @Test func jsonSerializationInsteadOfCompact() async throws {
        try await expectRefused { s in
            let parts = Forge.parts(s.token)
            return #"{"protected":"\#(parts[0])","payload":"\#(parts[1])","signature":"\#(parts[2])"}"#
        }
    }

    @Test func wrongAudience() async throws {
        try await expectRefused { s in
            try s.signer.sign(Forge.claims(tenant: s.tenant, clientID: s.client.clientID, [("aud", "someone-else")]))
        }
    }

    @Test func wrongIssuer() async throws {
        try await expectRefused { s in
            try s.signer.sign(Forge.claims(tenant: s.tenant, clientID: s.client.clientID, [("iss", "https://evil.example")]))
        }
    }

    @Test func missingTokenAndOtherSchemes() async throws {
        try await AuthHarness.run { app, _ in
            let none = try await app.get("/v1/products/search", token: nil)
            #expect(none.isInvalidTokenChallenge)
            for value in ["Basic dXNlcjpwYXNz", "Token abc", "Bearer", "Bearer "] {
                let reply = try await app.request(.get, "/v1/products/search", headers: [(.authorization, value)])
                #expect(reply.isInvalidTokenChallenge, "\(value): \(reply.status)")
            }
        }
    }
}
