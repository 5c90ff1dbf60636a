import AlmanacAuth
import AlmanacCore
import AlmanacTestSupport
import Foundation
import HTTPTypes
import Testing

@testable import AlmanacApp
@testable import AlmanacServer

/// Tokens cross-checked with PyJWT (an independent implementation), over HTTP.
@Suite("Auth: interop with PyJWT", .enabled(if: PyJWT.isAvailable, "python3 with pyjwt and cryptography not found"))
struct AuthInteropTests {
    /// Verifies `token` with PyJWT using only what a relying party has: the served JWKS
    /// (the script also checks the PEM form of the same JWK). Answers the claims.
    func verifyWithPyJWT(_ app: TestApp, _ token: String) async throws -> JSONObject {
        let jwks = try await app.get("/.well-known/jwks.json", token: nil)
        #expect(jwks.status == 200)
        let kid = try #require(try Forge.header(token)["kid"]?.stringValue)
        let jwk = try #require(jwks["keys"]?.arrayValue?.first { $0["kid"]?.stringValue == kid }?.objectValue)
        let pem = try JWKS.publicKey(from: jwk).pemRepresentation()
        let dir = try PrivateDirectory()
        let result = try PyJWT.run([
            "verify", try dir.write("token", token), try dir.write("public.pem", pem), try dir.write("jwks.json", jwks.text),
            "almanac", "almanac",
        ])
        #expect(result.status == 0, "PyJWT refused the token: \(result.stderr)")
        return try #require(try JSONParser.parse(Array(result.stdout.utf8)).objectValue)
    }

    @Test func tokensIssuedOverHTTPVerifyInPyJWTAgainstTheJWKS() async throws {
        try await AuthHarness.run { app, _ in
            let tenant = TestApp.tenant()
            let (client, token) = try await app.newClient(tenant: tenant, scopes: [Scope.catalogueRead, Scope.eventsRead])
            let claims = try await verifyWithPyJWT(app, token)
            #expect(claims["tenant"] == .string(tenant))
            #expect(claims["client_id"] == .string(client.clientID))
            #expect(claims["scope"] == "catalogue:read events:read")
            #expect(claims == (try Forge.claims(token)))

            // After a rotation: the new token and the old one both verify from the JWKS.
            let admin = try await app.newClient(tenant: tenant, scopes: [Scope.admin]).token
            #expect(try await app.request(.post, "/v1/keys/rotate", token: admin).status == 200)
            let fresh = try await app.httpToken(client)
            #expect(try Forge.header(fresh)["kid"] != (try Forge.header(token)["kid"]))
            _ = try await verifyWithPyJWT(app, fresh)
            _ = try await verifyWithPyJWT(app, token)
        }
    }

    @Test func tokensPyJWTSignsWithATenantsExportedKeyVerifyHere() async throws {
        try await AuthHarness.run { app, _ in
            let tenant = TestApp.tenant()
            let client = try await app.credentials(tenant: tenant, scopes: [Scope.catalogueRead, Scope.catalogueWrite])
            let exported = try await app.services.tokens.keyring.exportSignerPEM(tenant: tenant)
            let dir = try PrivateDirectory()
            let keyFile = try dir.write("private.pem", exported.pem)

            func sign(_ claims: JSONObject) throws -> String {
                let result = try PyJWT.run(["sign", keyFile, exported.kid, try dir.write("claims-\(UUID()).json", JSONWriter.string(.object(claims)))])
                #expect(result.status == 0, "\(result.stderr)")
                return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            }

            let token = try sign(Forge.claims(tenant: tenant, clientID: client.clientID, scope: "catalogue:read catalogue:write"))
            #expect(try Forge.header(token)["alg"] == "ES256")
            #expect(try Forge.header(token)["kid"] == .string(exported.kid))
            let put = try await app.request(.put, "/v1/products/p1?wait=true", token: token, json: kettle)
            #expect(put.status == 201, "\(put.text)")
            let search = try await app.get("/v1/products/search?q=kettle", token: token)
            #expect(search.hitIDs == ["p1"])

            // The same key cannot speak for another tenant, and PyJWT's own alg=none is refused.
            let otherTenant = try sign(Forge.claims(tenant: TestApp.tenant("other"), clientID: client.clientID))
            #expect(try await app.get("/v1/products/search", token: otherTenant).isInvalidTokenChallenge)
            let expired = try sign(Forge.claims(tenant: tenant, clientID: client.clientID, [("exp", .int(Timestamp.now().seconds - 120))]))
            #expect(try await app.get("/v1/products/search", token: expired).isInvalidTokenChallenge)
        }
    }
}
