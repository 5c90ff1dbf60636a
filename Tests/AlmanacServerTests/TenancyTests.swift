import Foundation
import HTTPTypes
import Testing

@testable import AlmanacApp
@testable import AlmanacServer
import AlmanacStore
import AlmanacCore

/// Two tenants with the same product and event ids: each sees only its own data in every
/// read, search, facet and history, and no write crosses (OWASP API1, object-level
/// authorization across tenants).
@Suite("Tenancy")
struct TenancyTests {
    struct Pair: Sendable {
        let app: TestApp
        let a: String
        let b: String
        let tokenA: String
        let tokenB: String
    }

    static func product(_ title: String, brand: String, tag: String, description: String = "Boils water for tea.") -> String {
        #"{"title":"\#(title)","description":"\#(description)","brand":"\#(brand)","category":["home","\#(tag)"],"price":1000,"currency":"EUR","in_stock":true,"tags":["\#(tag)"],"attributes":{"owner":"\#(tag)"}}"#
    }

    static func event(_ message: String, actor: String) -> String {
        #"{"id":"e1","type":"deploy","source":"ci","occurred_at":"2024-01-02T03:04:05Z","actor":"\#(actor)","message":"\#(message)","entity":{"type":"service","id":"api"},"attributes":{"owner":"\#(actor)"}}"#
    }

    /// Tenants A and B, each with product `p1`, event `e1` about entity `service/api`;
    /// B also has product `p2` and event `e2`. Everything indexed.
    static func withTwoTenants(redis: RedisMode = .none, _ body: @Sendable (Pair) async throws -> Void) async throws {
        try await TestApp.run(redis: redis) { app in
            let a = TestApp.tenant("a")
            let b = TestApp.tenant("b")
            let tokenA = try await app.token(tenant: a)
            let tokenB = try await app.token(tenant: b)
            try await app.putProduct("p1", product("Alpha kettle", brand: "AlphaCo", tag: "alpha"), token: tokenA)
            try await app.putProduct("p1", product("Beta kettle", brand: "BetaCo", tag: "beta"), token: tokenB)
            try await app.putProduct("p2", product("Beta teapot", brand: "BetaCo", tag: "beta", description: "A pot."), token: tokenB)
            for (token, message, actor) in [(tokenA, "alpha deploy", "alpha"), (tokenB, "beta deploy", "beta")] {
                let reply = try await app.request(.post, "/v1/events?wait=true", token: token, json: event(message, actor: actor))
                #expect(reply.status == 201, "\(reply.text)")
            }
            let e2 = event("beta only", actor: "beta").replacingOccurrences(of: #""id":"e1""#, with: #""id":"e2""#)
            #expect(try await app.request(.post, "/v1/events?wait=true", token: tokenB, json: e2).status == 201)
            try await body(Pair(app: app, a: a, b: b, tokenA: tokenA, tokenB: tokenB))
        }
    }

    @Test func productReadsSeeOnlyTheirOwnTenant() async throws {
        try await Self.withTwoTenants { (t: Pair) async throws in
            #expect(try await t.app.get("/v1/products/p1", token: t.tokenA)["title"] == "Alpha kettle")
            #expect(try await t.app.get("/v1/products/p1", token: t.tokenB)["title"] == "Beta kettle")
            #expect(try await t.app.get("/v1/products/p2", token: t.tokenA).isProblem(404))
            #expect(try await t.app.get("/v1/products/p2", token: t.tokenB).status == 200)
        }
    }

    @Test func searchesAndFacetsSeeOnlyTheirOwnTenant() async throws {
        try await Self.withTwoTenants { t in
            for (token, title, brand) in [(t.tokenA, "Alpha kettle", "AlphaCo"), (t.tokenB, "Beta kettle", "BetaCo")] {
                let search = try await t.app.get(
                    "/v1/products/search?q=kettle&facets=brand,category,tags,attributes.owner&price_ranges=0:5000", token: token)
                #expect(search.status == 200, "\(search.text)")
                #expect(search.hitIDs == ["p1"])
                #expect(search.at("hits.0.product.title") == .string(title))
                #expect(search.at("total.value") == 1)
                #expect(search.at("facets.brand") == [["value": .string(brand), "count": 1]])
                #expect(search.at("facets.price.0.count") == 1)
            }
            // Filter-only and browse searches count only the tenant's documents.
            let all = try await t.app.get("/v1/products/search?facets=brand", token: t.tokenA)
            #expect(all.hitIDs == ["p1"])
            #expect(all.at("facets.brand") == [["value": "AlphaCo", "count": 1]])
            let beta = try await t.app.get("/v1/products/search?filter=brand%20%3D%20%22BetaCo%22", token: t.tokenA)
            #expect(beta.hitIDs.isEmpty)
            #expect(beta.at("total.value") == 0)
            #expect(try await t.app.get("/v1/products/search?q=teapot", token: t.tokenA).hitIDs.isEmpty)
            #expect(try await t.app.get("/v1/products/search?q=teapot", token: t.tokenB).hitIDs == ["p2"])
            // A tenant named in a search body is ignored: the token decides.
            let body = try await t.app.request(.post, "/v1/products/search", token: t.tokenA, json: #"{"q":"kettle","tenant":"\#(t.b)"}"#)
            #expect(body.status == 200 ? body.hitIDs == ["p1"] && body.at("hits.0.product.title") == "Alpha kettle" : body.status == 400,
                "\(body.status) \(body.text)")
        }
    }

    @Test func cachedSearchesDoNotCrossTenants() async throws {
        try await Self.withTwoTenants(redis: .shared) { t in
            let first = try await t.app.get("/v1/products/search?q=kettle", token: t.tokenA)
            #expect(first.at("hits.0.product.title") == "Alpha kettle")
            #expect(try await t.app.get("/v1/products/search?q=kettle", token: t.tokenA)["cache"] == "hit")
            // The same request from B is B's own miss, with B's data.
            let other = try await t.app.get("/v1/products/search?q=kettle", token: t.tokenB)
            #expect(other["cache"] == "miss")
            #expect(other.at("hits.0.product.title") == "Beta kettle")
        }
    }

    @Test func eventsAndEntityHistorySeeOnlyTheirOwnTenant() async throws {
        try await Self.withTwoTenants { t in
            #expect(try await t.app.get("/v1/events/e1", token: t.tokenA)["message"] == "alpha deploy")
            #expect(try await t.app.get("/v1/events/e1", token: t.tokenB)["message"] == "beta deploy")
            #expect(try await t.app.get("/v1/events/e2", token: t.tokenA).isProblem(404))

            let historyA = try await t.app.get("/v1/entities/service/api/events", token: t.tokenA)
            #expect((historyA["events"]?.arrayValue ?? []).map { $0["message"]?.stringValue ?? "" } == ["alpha deploy"])
            #expect(historyA.at("total.value") == 1)
            let historyB = try await t.app.get("/v1/entities/service/api/events", token: t.tokenB)
            #expect(Set((historyB["events"]?.arrayValue ?? []).compactMap { $0["message"]?.stringValue }) == ["beta deploy", "beta only"])

            // The catalogue's own events too: A's p1 history holds only A's write.
            let productA = try await t.app.get("/v1/entities/product/p1/events", token: t.tokenA)
            #expect((productA["events"]?.arrayValue ?? []).count == 1)
            #expect(try await t.app.get("/v1/entities/product/p2/events", token: t.tokenA).at("total.value") == 0)
        }
    }

    @Test func writesCannotCrossTenants() async throws {
        try await Self.withTwoTenants { t in
            // A body naming another tenant is refused (unknown field), never redirected.
            let named = try await t.app.request(
                .put, "/v1/products/p3?wait=true", token: t.tokenA,
                json: #"{"title":"Planted","tenant":"\#(t.b)"}"#)
            #expect(named.isProblem(400, mentioning: "tenant"))
            let namedEvent = try await t.app.request(
                .post, "/v1/events", token: t.tokenA,
                json: #"{"id":"e9","type":"x","source":"s","occurred_at":"2024-01-02T03:04:05Z","tenant":"\#(t.b)"}"#)
            #expect(namedEvent.isProblem(400, mentioning: "tenant"))
            #expect(try await t.app.get("/v1/products/p3", token: t.tokenB).isProblem(404))
            #expect(try await t.app.get("/v1/events/e9", token: t.tokenB).isProblem(404))

            // B's objects are out of reach for A: not found, and untouched.
            #expect(try await t.app.request(.patch, "/v1/products/p2", token: t.tokenA, json: #"{"price":1}"#).isProblem(404))
            #expect(try await t.app.request(.delete, "/v1/products/p2", token: t.tokenA).isProblem(404))
            let p2 = try await t.app.get("/v1/products/p2", token: t.tokenB)
            #expect(p2["price"] == 1000)
            #expect(p2["version"] == 1)

            // The same id written by A lands in A only; B's p1 keeps its content.
            let put = try await t.app.request(.put, "/v1/products/p1?wait=true", token: t.tokenA, json: Self.product("Alpha v2", brand: "AlphaCo", tag: "alpha"))
            #expect(put.status == 200)
            #expect(try await t.app.get("/v1/products/p1", token: t.tokenB)["title"] == "Beta kettle")
            #expect(try await t.app.get("/v1/products/p1", token: t.tokenB)["version"] == 1)

            // Event ids are per tenant: A may use B's id e2 with other content (no 409), and
            // a bulk write stays in A too.
            let e2 = Self.event("alpha's own e2", actor: "alpha").replacingOccurrences(of: #""id":"e1""#, with: #""id":"e2""#)
            #expect(try await t.app.request(.post, "/v1/events", token: t.tokenA, json: e2).status == 201)
            #expect(try await t.app.get("/v1/events/e2", token: t.tokenB)["message"] == "beta only")
            try await t.app.bulk("/v1/products/_bulk", #"{"id":"p2","title":"Alpha's p2"}"# + "\n", token: t.tokenA)
            #expect(try await t.app.get("/v1/products/p2", token: t.tokenB)["title"] == "Beta teapot")
            #expect(try await t.app.get("/v1/products/p2", token: t.tokenA)["title"] == "Alpha's p2")
        }
    }
}
