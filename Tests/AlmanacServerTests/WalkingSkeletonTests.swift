import AlmanacTestSupport
import AlmanacAuth
import AlmanacCore
import AlmanacStore
import Foundation
import Testing

@testable import AlmanacApp
@testable import AlmanacServer
import HTTPTypes

let kettle = #"{"title":"Electric kettle","description":"Boils water fast.","brand":"Acme","category":["home","kitchen"],"price":2999,"currency":"EUR","in_stock":true,"tags":["kitchen"]}"#

@Suite struct WalkingSkeletonTests {
    @Test func writeThenSearchFindsStemmedWords() async throws {
        try await TestApp.run { app in
            let token = try await app.token(tenant: TestApp.tenant())
            let put = try await app.putProduct("k1", kettle, token: token)
            #expect(put.status == 201)
            #expect(put["version"] == 1)
            #expect(put["seq"]?.integerValue ?? 0 > 0)
            let search = try await app.get("/v1/products/search?q=kettles", token: token)
            #expect(search.status == 200)
            #expect(search.hitIDs == ["k1"])
            #expect(search.at("total.value") == 1)
            #expect(search.at("hits.0.product.title") == "Electric kettle")
            #expect(search["took_ms"]?.numberValue != nil)
            #expect(search.headers[.init("X-Almanac-Seq")!] != nil)
            let get = try await app.get("/v1/products/k1", token: token)
            #expect(get.status == 200)
            #expect(get["brand"] == "Acme")
        }
    }

    @Test func missingTokenIs401WithChallenge() async throws {
        try await TestApp.run(redis: .none) { app in
            let reply = try await app.get("/v1/products/search?q=x", token: nil)
            #expect(reply.isProblem(401))
            #expect(reply.headers[.wwwAuthenticate]?.contains("invalid_token") == true)
        }
    }

    @Test func missingScopeIs403() async throws {
        try await TestApp.run(redis: .none) { app in
            let token = try await app.token(tenant: TestApp.tenant(), scopes: [Scope.catalogueRead])
            let reply = try await app.request(.put, "/v1/products/p1", token: token, json: kettle)
            #expect(reply.isProblem(403, mentioning: "catalogue:write"))
        }
    }

    @Test func tokenSignedWithAnotherTenantsKeyIs401() async throws {
        try await TestApp.run(redis: .none) { app in
            let a = TestApp.tenant("a")
            _ = try await app.token(tenant: a)
            let signerB = try await app.services.tokens.keyring.signer(for: TestApp.tenant("b"))
            let now = Timestamp.now().seconds
            let forged = try signerB.sign(
                JSONObject([
                    ("iss", "almanac"), ("aud", "almanac"), ("sub", "x"), ("client_id", "x"), ("tenant", .string(a)),
                    ("scope", "catalogue:read"), ("iat", .int(now)), ("exp", .int(now + 60)),
                ]))
            let reply = try await app.get("/v1/products/search", token: forged)
            #expect(reply.isProblem(401))
        }
    }

    @Test func tamperedPayloadIs401() async throws {
        try await TestApp.run(redis: .none) { app in
            let token = try await app.token(tenant: TestApp.tenant(), scopes: [Scope.catalogueRead])
            let parts = token.split(separator: ".").map(String.init)
            var claims = try JSONParser.parse(Base64URL.decode(parts[1])!).objectValue!
            claims["scope"] = "catalogue:read catalogue:write admin"
            let tampered = parts[0] + "." + Base64URL.encode(JSONWriter.encode(.object(claims))) + "." + parts[2]
            let reply = try await app.get("/v1/products/search", token: tampered)
            #expect(reply.isProblem(401))
        }
    }

    @Test func cacheMissThenHitThenMissAfterAWrite() async throws {
        try await TestApp.run(redis: .shared) { app in
            let token = try await app.token(tenant: TestApp.tenant())
            try await app.putProduct("k1", kettle, token: token)
            let first = try await app.get("/v1/products/search?q=kettle", token: token)
            #expect(first["cache"] == "miss")
            let second = try await app.get("/v1/products/search?q=kettle", token: token)
            #expect(second["cache"] == "hit")
            #expect(second["hits"] == first["hits"])
            try await app.putProduct("k2", kettle.replacingOccurrences(of: "Electric", with: "Steel"), token: token)
            let third = try await app.get("/v1/products/search?q=kettle", token: token)
            #expect(third["cache"] == "miss")
            #expect(third.at("total.value") == 2)
        }
    }

    @Test func malformedJSONIs400ProblemJSON() async throws {
        try await TestApp.run(redis: .none) { app in
            let token = try await app.token(tenant: TestApp.tenant())
            let reply = try await app.request(.put, "/v1/products/p1", token: token, json: #"{"title": "x",}"#)
            #expect(reply.isProblem(400, mentioning: "malformed JSON"))
            #expect(reply["type"]?.stringValue?.hasPrefix("https://") == true)
            #expect(reply["status"] == 400)
        }
    }

    @Test func restartResumesIndexingFromTheStore() async throws {
        let dir = TestApp.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let tenant = TestApp.tenant()
        try await TestApp.run(redis: .none, directory: dir) { app in
            let token = try await app.token(tenant: tenant)
            try await app.putProduct("k1", kettle, token: token)
        }
        // Committed while no server runs: in SQLite, not in the index.
        let store = try Store(path: dir + "/almanac.sqlite3")
        let draft = try ProductValidator().validate(
            try JSONParser.parse(kettle.replacingOccurrences(of: "Electric", with: "Copper")), pathID: "k2")
        let written = try await store.putProduct(draft, ifMatch: nil, context: WriteContext(tenant: tenant, actor: "test"))
        try store.close()
        try await TestApp.run(redis: .none, directory: dir) { app in
            let token = try await app.token(tenant: tenant)
            let reply = try await app.get("/v1/products/search?q=copper&min_seq=\(written.seq)", token: token)
            #expect(reply.status == 200)
            #expect(reply.hitIDs == ["k2"])
        }
    }

    @Test func redisStoppedMidTestLeavesSearchesAnswering() async throws {
        try await TestRedisServer.withServer { redis in
            try await TestApp.run(redis: .url(redis.url)) { app in
                let token = try await app.token(tenant: TestApp.tenant())
                try await app.putProduct("k1", kettle, token: token)
                #expect(try await app.get("/v1/products/search?q=kettle", token: token)["cache"] == "miss")
                #expect(try await app.get("/ready", token: nil)["redis"] == "up")
                await redis.stop()
                // The same query again is answered by the near cache, in process.
                let repeated = try await app.get("/v1/products/search?q=kettle", token: token)
                #expect(repeated.status == 200)
                #expect(repeated["cache"] == "hit")
                #expect(repeated.hitIDs == ["k1"])
                // Another one is computed, with the cache off.
                let reply = try await app.get("/v1/products/search?q=kettles", token: token)
                #expect(reply.status == 200)
                #expect(reply["cache"] == "off")
                #expect(reply.hitIDs == ["k1"])
                let ready = try await app.get("/ready", token: nil)
                #expect(ready["redis"] == "down")
                #expect(ready["cache"] == "off")
            }
        }
    }

    @Test func healthAndUnknownRoutes() async throws {
        try await TestApp.run(redis: .none) { app in
            #expect(try await app.get("/health", token: nil).status == 200)
            let ready = try await app.get("/ready", token: nil)
            #expect(ready.status == 200)
            #expect(ready["store"] == "writable")
            #expect(try await app.get("/nowhere", token: nil).isProblem(404))
            let jwks = try await app.get("/.well-known/jwks.json", token: nil)
            #expect(jwks.status == 200)
            #expect(jwks["keys"]?.arrayValue != nil)
        }
    }

    @Test func oversizedBodyIs413() async throws {
        try await TestApp.run(redis: .none, configure: { $0.limits.bodyBytes = 1024 }) { app in
            let token = try await app.token(tenant: TestApp.tenant())
            let big = #"{"title":"x","description":"\#(String(repeating: "a", count: 5000))"}"#
            let reply = try await app.request(.put, "/v1/products/p1", token: token, json: big)
            #expect(reply.isProblem(413, mentioning: "limit"))
        }
    }
}
