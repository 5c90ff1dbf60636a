import AlmanacAuth
import AlmanacCore
import Foundation
import HTTPTypes
import Testing

@testable import AlmanacApp
@testable import AlmanacServer
import Logging

/// `POST /v1/auth/token`: OAuth 2.0 client credentials (RFC 6749 §4.4) and its errors (§5.2).
@Suite("Auth: token endpoint")
struct AuthTokenEndpointTests {
    /// An RFC 6749 §5.2 error: status, `error` code, a description, never cached.
    func expectOAuthError(
        _ reply: Reply, _ status: Int, _ code: String, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(reply.status == status, "\(reply.text)", sourceLocation: sourceLocation)
        #expect(reply["error"] == .string(code), "\(reply.text)", sourceLocation: sourceLocation)
        #expect(reply["error_description"]?.stringValue?.isEmpty == false, sourceLocation: sourceLocation)
        #expect(reply.headers[.contentType] == "application/json", sourceLocation: sourceLocation)
        #expect(reply.headers[.cacheControl] == "no-store", sourceLocation: sourceLocation)
        #expect(reply["access_token"] == nil, sourceLocation: sourceLocation)
    }

    @Test func formBodyIssuesAWorkingES256Token() async throws {
        try await AuthHarness.run { app, _ in
            let tenant = TestApp.tenant()
            let client = try await app.credentials(tenant: tenant, scopes: [Scope.catalogueRead, Scope.eventsRead])
            let reply = try await app.tokenRequest(
                form: "grant_type=client_credentials&client_id=\(client.clientID)&client_secret=\(client.clientSecret)")
            #expect(reply.status == 200, "\(reply.text)")
            #expect(reply.headers[.cacheControl] == "no-store")
            #expect(reply.headers[.init("Pragma")!] == "no-cache")
            #expect(reply["token_type"] == "Bearer")
            #expect(reply["expires_in"] == 900)
            #expect(reply["scope"] == "catalogue:read events:read")
            let token = try #require(reply["access_token"]?.stringValue)

            let header = try Forge.header(token)
            #expect(header["alg"] == "ES256")
            #expect(header["typ"] == "JWT")
            #expect(header["kid"] == .string(app.services.tokens.keyring.signerKid(tenant: tenant) ?? "?"))
            let claims = try Forge.claims(token)
            #expect(claims["tenant"] == .string(tenant))
            #expect(claims["client_id"] == .string(client.clientID))
            #expect(claims["sub"] == .string(client.clientID))
            #expect(claims["iss"] == "almanac")
            #expect(claims["aud"] == "almanac")
            let iat = try #require(claims["iat"]?.integerValue)
            #expect(claims["exp"]?.integerValue == iat + 900)
            #expect(abs(iat - Timestamp.now().seconds) <= 5)

            #expect(try await app.get("/v1/products/search", token: token).status == 200)
        }
    }

    @Test func jsonBodyIssuesAToken() async throws {
        try await AuthHarness.run { app, _ in
            let client = try await app.credentials(tenant: TestApp.tenant())
            let reply = try await app.tokenRequest(
                json: #"{"grant_type":"client_credentials","client_id":"\#(client.clientID)","client_secret":"\#(client.clientSecret)","scope":"catalogue:read"}"#)
            #expect(reply.status == 200, "\(reply.text)")
            #expect(reply["scope"] == "catalogue:read")
            #expect(reply.headers[.cacheControl] == "no-store")
            let token = try #require(reply["access_token"]?.stringValue)
            #expect(try await app.get("/v1/products/search", token: token).status == 200)
        }
    }

    @Test func httpBasicClientAuthentication() async throws {
        try await AuthHarness.run { app, _ in
            let client = try await app.credentials(tenant: TestApp.tenant())
            let ok = try await app.tokenRequest(form: "grant_type=client_credentials", basic: (client.clientID, client.clientSecret))
            #expect(ok.status == 200, "\(ok.text)")
            let token = try #require(ok["access_token"]?.stringValue)
            #expect(try await app.get("/v1/products/search", token: token).status == 200)

            let wrong = try await app.tokenRequest(form: "grant_type=client_credentials", basic: (client.clientID, "wrong"))
            expectOAuthError(wrong, 401, "invalid_client")
            #expect(wrong.headers[.wwwAuthenticate]?.hasPrefix("Basic") == true)

            let malformed = try await app.request(
                .post, "/v1/auth/token", body: Array("grant_type=client_credentials".utf8),
                headers: [(.contentType, "application/x-www-form-urlencoded"), (.authorization, "Basic %%%")])
            expectOAuthError(malformed, 401, "invalid_client")
        }
    }

    @Test func twoClientAuthenticationMethodsAreRefused() async throws {
        try await AuthHarness.run { app, _ in
            let client = try await app.credentials(tenant: TestApp.tenant())
            let both = try await app.tokenRequest(
                form: "grant_type=client_credentials&client_secret=\(client.clientSecret)", basic: (client.clientID, client.clientSecret))
            expectOAuthError(both, 400, "invalid_request")
        }
    }

    @Test func scopeNarrowsTheToken() async throws {
        try await AuthHarness.run { app, _ in
            let client = try await app.credentials(tenant: TestApp.tenant(), scopes: [Scope.catalogueRead, Scope.catalogueWrite])
            let reply = try await app.tokenRequest(
                form: "grant_type=client_credentials&client_id=\(client.clientID)&client_secret=\(client.clientSecret)&scope=catalogue:read")
            #expect(reply.status == 200, "\(reply.text)")
            #expect(reply["scope"] == "catalogue:read")
            let token = try #require(reply["access_token"]?.stringValue)
            #expect(try Forge.claims(token)["scope"] == "catalogue:read")
            #expect(try await app.get("/v1/products/search", token: token).status == 200)
            let write = try await app.request(.put, "/v1/products/p1", token: token, json: kettle)
            #expect(write.isProblem(403, mentioning: "catalogue:write"))

            // Both scopes, requested in the other order and with extra spaces: the client's order.
            let both = try await app.tokenRequest(
                form: "grant_type=client_credentials&client_id=\(client.clientID)&client_secret=\(client.clientSecret)&scope=catalogue:write++catalogue:read")
            #expect(both["scope"] == "catalogue:read catalogue:write")
        }
    }

    @Test func scopeBeyondTheClientsIsInvalidScope() async throws {
        try await AuthHarness.run { app, _ in
            let client = try await app.credentials(tenant: TestApp.tenant(), scopes: [Scope.catalogueRead])
            let base = "grant_type=client_credentials&client_id=\(client.clientID)&client_secret=\(client.clientSecret)"
            expectOAuthError(try await app.tokenRequest(form: base + "&scope=catalogue:read+admin"), 400, "invalid_scope")
            expectOAuthError(try await app.tokenRequest(form: base + "&scope=root"), 400, "invalid_scope")
        }
    }

    @Test func wrongUnknownOrRevokedClientIsInvalidClient() async throws {
        try await AuthHarness.run { app, _ in
            let tenant = TestApp.tenant()
            let client = try await app.credentials(tenant: tenant)
            let wrong = try await app.tokenRequest(
                form: "grant_type=client_credentials&client_id=\(client.clientID)&client_secret=\(client.clientSecret)x")
            expectOAuthError(wrong, 401, "invalid_client")
            let unknown = try await app.tokenRequest(
                form: "grant_type=client_credentials&client_id=cl_nobody&client_secret=\(client.clientSecret)")
            expectOAuthError(unknown, 401, "invalid_client")
            // Same answer for both: nothing tells whether the id exists.
            #expect(wrong["error_description"] == unknown["error_description"])

            #expect(try await app.services.tokens.revoke(clientID: client.clientID, tenant: tenant))
            let revoked = try await app.tokenRequest(
                form: "grant_type=client_credentials&client_id=\(client.clientID)&client_secret=\(client.clientSecret)")
            expectOAuthError(revoked, 401, "invalid_client")
        }
    }

    @Test func malformedRequestsAreInvalidRequest() async throws {
        try await AuthHarness.run { app, _ in
            let client = try await app.credentials(tenant: TestApp.tenant())
            let creds = "client_id=\(client.clientID)&client_secret=\(client.clientSecret)"
            expectOAuthError(try await app.tokenRequest(form: creds), 400, "invalid_request")
            expectOAuthError(
                try await app.tokenRequest(form: "grant_type=client_credentials&grant_type=client_credentials&" + creds), 400,
                "invalid_request")
            expectOAuthError(try await app.tokenRequest(json: #"{"grant_type": "client_credentials", "#), 400, "invalid_request")
            expectOAuthError(try await app.tokenRequest(json: #"["client_credentials"]"#), 400, "invalid_request")
            expectOAuthError(
                try await app.tokenRequest(
                    json: #"{"grant_type":"client_credentials","client_id":"\#(client.clientID)","client_secret":"\#(client.clientSecret)","scope":["admin"]}"#),
                400, "invalid_request")
            expectOAuthError(
                try await app.tokenRequest(json: #"{"grant_type":"client_credentials","grant_type":"password"}"#), 400, "invalid_request")
            let text = try await app.tokenRequest(form: "grant_type=client_credentials&" + creds, contentType: "text/plain")
            #expect(text.status == 415)
            #expect(text["error"] == "invalid_request")
            let big = try await app.tokenRequest(form: "grant_type=client_credentials&pad=" + String(repeating: "x", count: 20_000))
            #expect(big.status == 413)
            #expect(big["error"] == "invalid_request")
        }
    }

    @Test func otherGrantTypesAreUnsupported() async throws {
        try await AuthHarness.run { app, _ in
            let client = try await app.credentials(tenant: TestApp.tenant())
            for grant in ["password", "authorization_code", "refresh_token", "urn:ietf:params:oauth:grant-type:jwt-bearer"] {
                let reply = try await app.tokenRequest(
                    form: "grant_type=\(grant)&client_id=\(client.clientID)&client_secret=\(client.clientSecret)&username=a&password=b")
                expectOAuthError(reply, 400, "unsupported_grant_type")
            }
        }
    }

    @Test func missingClientAuthenticationIsInvalidClient() async throws {
        try await AuthHarness.run { app, _ in
            let reply = try await app.tokenRequest(form: "grant_type=client_credentials")
            expectOAuthError(reply, 401, "invalid_client")
            #expect(reply.headers[.wwwAuthenticate]?.hasPrefix("Basic") == true)
        }
    }

    @Test func tokenLifetimeIsConfigurable() async throws {
        try await AuthHarness.run(configure: { $0.auth.tokenLifetimeSeconds = 120 }) { app, _ in
            let client = try await app.credentials(tenant: TestApp.tenant())
            let reply = try await app.tokenRequest(
                form: "grant_type=client_credentials&client_id=\(client.clientID)&client_secret=\(client.clientSecret)")
            #expect(reply["expires_in"] == 120)
            let claims = try Forge.claims(try #require(reply["access_token"]?.stringValue))
            #expect(try #require(claims["exp"]?.integerValue) - (try #require(claims["iat"]?.integerValue)) == 120)
        }
    }

    @Test func tenFailedSecretsLockTheClientUntilTheWindowPasses() async throws {
        let clock = ManualClock()
        try await AuthHarness.run(configure: { $0.auth.clock = clock.function }) { app, logs in
            let client = try await app.credentials(tenant: TestApp.tenant())
            let bystander = try await app.credentials(tenant: TestApp.tenant())
            let right = "grant_type=client_credentials&client_id=\(client.clientID)&client_secret=\(client.clientSecret)"
            let wrong = "grant_type=client_credentials&client_id=\(client.clientID)&client_secret=guess"
            for attempt in 1...10 {
                let reply = try await app.tokenRequest(form: wrong + "\(attempt)")
                expectOAuthError(reply, 401, "invalid_client")
                clock.advance(1)
            }
            #expect(logs.entries(containing: "locked out").count == 1)
            let locked = logs.entries(containing: "locked out").first
            #expect(locked?.level == .warning)
            #expect(locked?.metadata["client_id"] == client.clientID)

            // The 11th wrong secret within the window: 429 with Retry-After.
            let eleventh = try await app.tokenRequest(form: wrong + "11")
            expectOAuthError(eleventh, 429, "invalid_client")
            let retry = try #require(eleventh.retryAfter)
            #expect(retry > 280 && retry <= 300, "Retry-After \(retry)")

            // The right secret is refused too, until the window passes.
            let rightButLocked = try await app.tokenRequest(form: right)
            expectOAuthError(rightButLocked, 429, "invalid_client")
            #expect(rightButLocked.retryAfter != nil)

            // Other clients are not affected.
            #expect(try await app.tokenRequest(
                form: "grant_type=client_credentials&client_id=\(bystander.clientID)&client_secret=\(bystander.clientSecret)").status == 200)

            clock.advance(Double(retry) - 1.5)
            expectOAuthError(try await app.tokenRequest(form: right), 429, "invalid_client")
            clock.advance(2)
            let after = try await app.tokenRequest(form: right)
            #expect(after.status == 200, "\(after.text)")
            // Secrets never reach the log.
            #expect(!logs.transcript.contains(client.clientSecret))
            #expect(!logs.transcript.contains("guess"))
        }
    }

    @Test func lockoutWindowAndCountAreConfigurable() async throws {
        let clock = ManualClock()
        try await AuthHarness.run(configure: {
            $0.auth.clock = clock.function
            $0.auth.maxFailures = 3
            $0.auth.failureWindowSeconds = 20
        }) { app, _ in
            let client = try await app.credentials(tenant: TestApp.tenant())
            let wrong = "grant_type=client_credentials&client_id=\(client.clientID)&client_secret=nope"
            for _ in 1...3 { expectOAuthError(try await app.tokenRequest(form: wrong), 401, "invalid_client") }
            let locked = try await app.tokenRequest(form: wrong)
            expectOAuthError(locked, 429, "invalid_client")
            #expect(locked.retryAfter == 20)
            clock.advance(21)
            expectOAuthError(try await app.tokenRequest(form: wrong), 401, "invalid_client")
        }
    }

    @Test func perClientTokenBucket() async throws {
        let clock = ManualClock()
        try await AuthHarness.run(configure: {
            $0.auth.clock = clock.function
            $0.auth.tokenBurst = 3
            $0.auth.tokensPerSecond = 0.5
        }) { app, _ in
            let client = try await app.credentials(tenant: TestApp.tenant())
            let form = "grant_type=client_credentials&client_id=\(client.clientID)&client_secret=\(client.clientSecret)"
            for _ in 1...3 { #expect(try await app.tokenRequest(form: form).status == 200) }
            let limited = try await app.tokenRequest(form: form)
            expectOAuthError(limited, 429, "slow_down")
            #expect(limited.retryAfter == 2)
            clock.advance(2)
            #expect(try await app.tokenRequest(form: form).status == 200)
        }
    }

    @Test func perSourceAddressTokenBucket() async throws {
        let clock = ManualClock()
        try await AuthHarness.run(live: true, configure: {
            $0.auth.clock = clock.function
            $0.auth.tokenAddressBurst = 4
            $0.auth.tokenAddressPerSecond = 1
        }) { app, _ in
            // Four different clients from one address: the address's bucket runs dry.
            var clients: [ClientRegistry.Created] = []
            for _ in 0..<5 { clients.append(try await app.credentials(tenant: TestApp.tenant())) }
            for c in clients.prefix(4) {
                let reply = try await app.tokenRequest(
                    form: "grant_type=client_credentials&client_id=\(c.clientID)&client_secret=\(c.clientSecret)")
                #expect(reply.status == 200, "\(reply.text)")
            }
            let fifth = try await app.tokenRequest(
                form: "grant_type=client_credentials&client_id=\(clients[4].clientID)&client_secret=\(clients[4].clientSecret)")
            expectOAuthError(fifth, 429, "slow_down")
            #expect(fifth.retryAfter == 1)
            // Garbage from the same address spends the same bucket.
            expectOAuthError(try await app.tokenRequest(form: "grant_type=nonsense"), 429, "slow_down")
            clock.advance(1)
            #expect(try await app.tokenRequest(
                form: "grant_type=client_credentials&client_id=\(clients[4].clientID)&client_secret=\(clients[4].clientSecret)").status == 200)
        }
    }

    @Test func theTokenEndpointNeedsNoBearerToken() async throws {
        try await AuthHarness.run { app, _ in
            let client = try await app.credentials(tenant: TestApp.tenant())
            let reply = try await app.request(
                .post, "/v1/auth/token",
                body: Array("grant_type=client_credentials&client_id=\(client.clientID)&client_secret=\(client.clientSecret)".utf8),
                headers: [(.contentType, "application/x-www-form-urlencoded; charset=utf-8")])
            #expect(reply.status == 200, "\(reply.text)")
        }
    }
}
