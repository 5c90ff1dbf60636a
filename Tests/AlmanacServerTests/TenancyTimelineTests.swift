import AlmanacAuth
import Foundation
import HTTPTypes
import Testing

@testable import AlmanacApp
@testable import AlmanacServer
import AlmanacCore

/// Tenancy of the timeline's index-backed queries: `GET /v1/events/search` and
/// `POST /v1/events/aggregate`. Same data as `TenancyTests`: A has product p1 and event e1;
/// B has products p1, p2 and events e1, e2. Skipped (with a note) while a build does not
/// serve these routes yet.
@Suite("Tenancy: timeline search and aggregations")
struct TenancyTimelineTests {
    /// False when the build answers the router's 404 (or an event lookup) for these routes.
    static func served(_ t: TenancyTests.Pair) async throws -> Bool {
        let probe = try await t.app.get("/v1/events/search", token: t.tokenA)
        if probe.status == 404 {
            print("TenancyTimelineTests: GET /v1/events/search is not served yet; skipped")
            return false
        }
        return true
    }

    static let deploys = "filter=" + "type = \"deploy\"".addingPercentEncoding(withAllowedCharacters: .alphanumerics)!

    func messages(_ reply: Reply) -> Set<String> {
        Set((reply["events"]?.arrayValue ?? []).compactMap { $0["message"]?.stringValue })
    }

    @Test func eventSearchSeesOnlyTheTenantsEvents() async throws {
        try await TenancyTests.withTwoTenants { t in
            guard try await Self.served(t) else { return }
            let a = try await t.app.get("/v1/events/search?" + Self.deploys, token: t.tokenA)
            #expect(a.status == 200, "\(a.text)")
            #expect(messages(a) == ["alpha deploy"])
            #expect(a.at("total.value") == 1)
            let b = try await t.app.get("/v1/events/search?" + Self.deploys, token: t.tokenB)
            #expect(messages(b) == ["beta deploy", "beta only"])
            #expect(b.at("total.value") == 2)
            // Full text and filters on B's words or B's entity find nothing for A.
            #expect(try await t.app.get("/v1/events/search?q=beta", token: t.tokenA).at("total.value") == 0)
            let entity = "filter=" + "entity.id = \"p2\"".addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            #expect(try await t.app.get("/v1/events/search?" + entity, token: t.tokenA).at("total.value") == 0)
            #expect(try await t.app.get("/v1/events/search?" + entity, token: t.tokenB).at("total.value") == 1)
            // Everything A sees is A's: its deploy and its own catalogue event.
            let all = try await t.app.get("/v1/events/search?limit=100", token: t.tokenA)
            #expect(all.at("total.value") == 2)
            #expect(Set((all["events"]?.arrayValue ?? []).compactMap { $0["type"]?.stringValue }) == ["deploy", "product.created"])
        }
    }

    @Test func aggregationsCountOnlyTheTenantsEvents() async throws {
        try await TenancyTests.withTwoTenants(redis: .shared) { t in
            guard try await Self.served(t) else { return }
            let body = #"{"aggs":{"types":{"terms":{"field":"type","size":10}},"owners":{"terms":{"field":"attributes.owner","size":10}}}}"#
            let a = try await t.app.request(.post, "/v1/events/aggregate", token: t.tokenA, json: body)
            #expect(a.status == 200, "\(a.text)")
            #expect(a["total"] == 2)
            #expect(a.at("aggs.types.buckets") == [["key": "deploy", "count": 1], ["key": "product.created", "count": 1]])
            #expect(a.at("aggs.owners.buckets") == [["key": "alpha", "count": 1]])
            #expect(a["cache"] == "miss")
            // The same request from B: B's own miss and B's counts, never A's cached answer.
            let b = try await t.app.request(.post, "/v1/events/aggregate", token: t.tokenB, json: body)
            #expect(b["cache"] == "miss")
            #expect(b["total"] == 4)
            #expect(b.at("aggs.types.buckets") == [["key": "deploy", "count": 2], ["key": "product.created", "count": 2]])
            #expect(b.at("aggs.owners.buckets") == [["key": "beta", "count": 2]])
            // A body naming another tenant does not change whose events are counted.
            let named = try await t.app.request(
                .post, "/v1/events/aggregate", token: t.tokenA,
                json: #"{"tenant":"\#(t.b)","aggs":{"types":{"terms":{"field":"type","size":10}}}}"#)
            #expect(named.status == 400 || named["total"] == 2, "\(named.status) \(named.text)")
        }
    }

    @Test func anOperatorQueriesATenantsTimelineWithTheTenantParameter() async throws {
        try await TenancyTests.withTwoTenants { t in
            guard try await Self.served(t) else { return }
            let operatorToken = try await t.app.newClient(tenant: TenantName.platform, scopes: [Scope.admin, Scope.eventsRead]).token
            let b = try await t.app.get("/v1/events/search?tenant=\(t.b)&" + Self.deploys, token: operatorToken)
            #expect(b.at("total.value") == 2)
            let agg = try await t.app.request(
                .post, "/v1/events/aggregate?tenant=\(t.a)", token: operatorToken, json: #"{"aggs":{"n":{"terms":{"field":"type"}}}}"#)
            #expect(agg["total"] == 2, "\(agg.text)")
            // A tenant token may not.
            #expect(try await t.app.get("/v1/events/search?tenant=\(t.b)", token: t.tokenA).isProblem(403))
        }
    }
}
