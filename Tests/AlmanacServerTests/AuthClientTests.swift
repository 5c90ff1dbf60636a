import AlmanacAuth
import AlmanacCore
import AlmanacStore
import Foundation
import HTTPTypes
import Testing

@testable import AlmanacApp
@testable import AlmanacServer
import Logging
import AlmanacTestSupport

/// Clients: `POST/GET /v1/clients`, `DELETE /v1/clients/{id}`, and the CLI on the same store.
@Suite("Auth: clients")
struct AuthClientTests {
    @Test func createListAndRevokeOverHTTP() async throws {
        try await AuthHarness.run { app, logs in
            let tenant = TestApp.tenant()
            let admin = try await app.newClient(tenant: tenant, scopes: [Scope.admin]).token
            let created = try await app.request(
                .post, "/v1/clients", token: admin, json: #"{"name": "ingest bot", "scopes": ["events:write", "events:read"]}"#)
            #expect(created.status == 201, "\(created.text)")
            #expect(created.headers[.cacheControl] == "no-store")
            let id = try #require(created["client_id"]?.stringValue)
            let secret = try #require(created["client_secret"]?.stringValue)
            #expect(created["tenant"] == .string(tenant))
            #expect(created["scopes"] == ["events:write", "events:read"])
            // 256 random bits, base64url.
            #expect(Base64URL.decode(secret)?.count == 32)

            // Stored only as a salted scrypt hash (N = 2^14, r = 8, p = 1).
            let record = try #require(try await app.services.store.client(id: id))
            #expect(record.secretHash.hasPrefix("scrypt$16384$8$1$"))
            #expect(!record.secretHash.contains(secret))
            #expect(try PasswordHash(encoded: record.secretHash).verify(secret))

            // Listed without the secret or its hash.
            let list = try await app.get("/v1/clients", token: admin)
            #expect(list.status == 200)
            let ids = (list["clients"]?.arrayValue ?? []).compactMap { $0["client_id"]?.stringValue }
            #expect(ids.contains(id))
            #expect(!list.text.contains(secret))
            #expect(!list.text.contains("scrypt"))
            #expect(!list.text.contains("secret"))

            // The new client gets tokens with its scopes.
            let token = try await app.httpToken(
                ClientRegistry.Created(clientID: id, clientSecret: secret, tenant: tenant, scopes: [], name: ""))
            #expect(try await app.get("/v1/events/none", token: token).status == 404)

            // Revoke: the token stops at once, and no new token is issued.
            let revoke = try await app.request(.delete, "/v1/clients/\(id)", token: admin)
            #expect(revoke.status == 200, "\(revoke.text)")
            #expect(try await app.get("/v1/events/none", token: token).isInvalidTokenChallenge)
            let again = try await app.tokenRequest(form: "grant_type=client_credentials&client_id=\(id)&client_secret=\(secret)")
            #expect(again.status == 401)
            let after = try await app.get("/v1/clients", token: admin)
            let entry = (after["clients"]?.arrayValue ?? []).first { $0["client_id"]?.stringValue == id }
            #expect(entry?["revoked_at"]?.stringValue != nil)

            #expect(!logs.entries(containing: "client created").isEmpty)
            #expect(!logs.entries(containing: "client revoked").isEmpty)
            #expect(!logs.transcript.contains(secret))
        }
    }

    @Test func secretIsShownOnceAndDiffersPerClient() async throws {
        try await AuthHarness.run { app, _ in
            let admin = try await app.newClient(tenant: TestApp.tenant(), scopes: [Scope.admin]).token
            let a = try await app.request(.post, "/v1/clients", token: admin, json: #"{"name":"a","scopes":"catalogue:read"}"#)
            let b = try await app.request(.post, "/v1/clients", token: admin, json: #"{"name":"b","scopes":["catalogue:read"]}"#)
            #expect(a.status == 201 && b.status == 201)
            #expect(a["client_secret"] != b["client_secret"])
            #expect(a["client_id"] != b["client_id"])
            let ha = try #require(try await app.services.store.client(id: a["client_id"]?.stringValue ?? "")?.secretHash)
            let hb = try #require(try await app.services.store.client(id: b["client_id"]?.stringValue ?? "")?.secretHash)
            // Salted: the hash strings share only the parameter prefix.
            #expect(ha.split(separator: "$")[4] != hb.split(separator: "$")[4])
        }
    }

    @Test func badClientRequestsAre400() async throws {
        try await AuthHarness.run { app, _ in
            let admin = try await app.newClient(tenant: TestApp.tenant(), scopes: [Scope.admin]).token
            for body in [
                #"{"name":"x","scopes":["root"]}"#, #"{"name":"x","scopes":[]}"#, #"{"scopes":["admin"]}"#,
                #"{"name":"","scopes":["admin"]}"#, #"{"name":"x","scopes":["admin"],"tenant":"other"}"#, #"[1]"#,
                #"{"name":"x","scopes":[1]}"#,
            ] {
                let reply = try await app.request(.post, "/v1/clients", token: admin, json: body)
                #expect(reply.isProblem(400), "\(body): \(reply.status) \(reply.text)")
            }
        }
    }

    @Test func clientRoutesNeedAdmin() async throws {
        try await AuthHarness.run { app, _ in
            let token = try await app.newClient(tenant: TestApp.tenant(), scopes: Scope.all.filter { $0 != Scope.admin }).token
            #expect(try await app.request(.post, "/v1/clients", token: token, json: #"{"name":"x","scopes":["admin"]}"#).isProblem(403))
            #expect(try await app.get("/v1/clients", token: token).isProblem(403))
            #expect(try await app.request(.delete, "/v1/clients/cl_x", token: token).isProblem(403))
        }
    }

    @Test func tenantsNeitherSeeNorRevokeEachOthersClients() async throws {
        try await AuthHarness.run { app, _ in
            let a = TestApp.tenant("a")
            let b = TestApp.tenant("b")
            let (aClient, aToken) = try await app.newClient(tenant: a, scopes: [Scope.admin, Scope.catalogueRead])
            let bAdmin = try await app.newClient(tenant: b, scopes: [Scope.admin]).token
            let bList = try await app.get("/v1/clients", token: bAdmin)
            #expect(!bList.text.contains(aClient.clientID))
            #expect((bList["clients"]?.arrayValue ?? []).allSatisfy { $0["tenant"] == .string(b) })
            // B cannot revoke A's client: 404, and A's token keeps working.
            #expect(try await app.request(.delete, "/v1/clients/\(aClient.clientID)", token: bAdmin).isProblem(404))
            #expect(try await app.get("/v1/products/search", token: aToken).status == 200)
            // A client created by B's admin belongs to B whatever the body says.
            let made = try await app.request(.post, "/v1/clients", token: bAdmin, json: #"{"name":"x","scopes":["admin"]}"#)
            #expect(made["tenant"] == .string(b))
        }
    }

    @Test func revocationByAnotherProcessReachesARunningServer() async throws {
        try await AuthHarness.run(configure: { $0.auth.revocationRefreshSeconds = 0.2 }) { app, _ in
            let tenant = TestApp.tenant()
            let (client, token) = try await app.newClient(tenant: tenant, scopes: [Scope.catalogueRead])
            #expect(try await app.get("/v1/products/search", token: token).status == 200)
            // What `almanac client revoke` does: its own connection to the same SQLite file.
            let other = try Store(path: app.services.configuration.storePath)
            #expect(try await other.revokeClient(id: client.clientID, tenant: nil, at: .now()))
            try other.close()
            #expect(!app.services.tokens.isRevoked(client.clientID))
            try await Task.sleep(for: .milliseconds(300))
            let reply = try await app.get("/v1/products/search", token: token)
            #expect(reply.isInvalidTokenChallenge, "\(reply.status)")
        }
    }

    @Test(.enabled(if: AlmanacCLI.isAvailable, "the almanac executable is not built next to the tests"))
    func cliCreateListRevokeAgainstARunningServer() async throws {
        try await AuthHarness.run(configure: { $0.auth.revocationRefreshSeconds = 0.2 }) { app, _ in
            let tenant = TestApp.tenant("cli")
            let data = app.services.configuration.dataDirectory
            let create = try AlmanacCLI.run([
                "client", "create", "--data", data, "--tenant", tenant, "--name", "cli bot", "--scopes", "catalogue:read events:read",
            ])
            #expect(create.status == 0, "\(create.stderr)")
            let printed = try JSONParser.parse(Array(create.stdout.utf8))
            let id = try #require(printed["client_id"]?.stringValue)
            let secret = try #require(printed["client_secret"]?.stringValue)
            #expect(printed["tenant"] == .string(tenant))
            #expect(printed["scopes"] == ["catalogue:read", "events:read"])

            let token = try await app.httpToken(
                ClientRegistry.Created(clientID: id, clientSecret: secret, tenant: tenant, scopes: [], name: ""))
            #expect(try await app.get("/v1/products/search", token: token).status == 200)

            let list = try AlmanacCLI.run(["client", "list", "--data", data, "--tenant", tenant])
            #expect(list.status == 0, "\(list.stderr)")
            #expect(list.stdout.contains(id))
            #expect(!list.stdout.contains(secret))
            #expect(!list.stdout.contains("scrypt"))

            let wrongTenant = try AlmanacCLI.run(["client", "revoke", "--data", data, "--tenant", "someone-else", id])
            #expect(wrongTenant.status != 0)
            let revoke = try AlmanacCLI.run(["client", "revoke", "--data", data, id])
            #expect(revoke.status == 0, "\(revoke.stderr)")
            try await Task.sleep(for: .milliseconds(300))
            #expect(try await app.get("/v1/products/search", token: token).isInvalidTokenChallenge)
        }
    }
}
