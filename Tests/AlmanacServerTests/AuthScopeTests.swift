import AlmanacAuth
import Foundation
import HTTPTypes
import Testing

@testable import AlmanacApp
@testable import AlmanacServer
import AlmanacCore

/// Scopes on every route (API.md), the operator's `?tenant=`, and the write rate limit.
@Suite("Auth: scopes, operator, write limits")
struct AuthScopeTests {
    struct Route: Sendable, CustomStringConvertible {
        var method: HTTPRequest.Method
        var path: String
        var scope: Scope
        var json: String?
        var ndjson: String?
        var description: String { "\(method) \(path)" }
    }

    static let event = #"{"id":"e1","type":"deploy","source":"ci","occurred_at":"2024-01-02T03:04:05Z","message":"x"}"#

    /// Every `/v1` route of API.md with the scope it needs.
    static let routes: [Route] = [
        Route(method: .get, path: "/v1/products/search?q=kettle", scope: Scope.catalogueRead),
        Route(method: .post, path: "/v1/products/search", scope: Scope.catalogueRead, json: #"{"q":"kettle"}"#),
        Route(method: .get, path: "/v1/products/p1", scope: Scope.catalogueRead),
        Route(method: .put, path: "/v1/products/p1", scope: Scope.catalogueWrite, json: kettle),
        Route(method: .patch, path: "/v1/products/p1", scope: Scope.catalogueWrite, json: #"{"price":1}"#),
        Route(method: .delete, path: "/v1/products/p1", scope: Scope.catalogueWrite),
        Route(method: .post, path: "/v1/products/_bulk", scope: Scope.catalogueWrite, ndjson: #"{"id":"p2","title":"Kettle"}"# + "\n"),
        Route(method: .post, path: "/v1/events", scope: Scope.eventsWrite, json: event),
        Route(method: .post, path: "/v1/events/_bulk", scope: Scope.eventsWrite, ndjson: event + "\n"),
        Route(method: .get, path: "/v1/events/e1", scope: Scope.eventsRead),
        Route(method: .get, path: "/v1/events/search?filter=type%20%3D%20%22deploy%22", scope: Scope.eventsRead),
        Route(method: .post, path: "/v1/events/aggregate", scope: Scope.eventsRead,
              json: #"{"aggs":{"t":{"terms":{"field":"type","size":5}}}}"#),
        Route(method: .get, path: "/v1/entities/product/p1/events", scope: Scope.eventsRead),
        Route(method: .get, path: "/v1/settings", scope: Scope.admin),
        Route(method: .put, path: "/v1/settings", scope: Scope.admin, json: #"{"language":"english"}"#),
        Route(method: .post, path: "/v1/clients", scope: Scope.admin, json: #"{"name":"x","scopes":["catalogue:read"]}"#),
        Route(method: .get, path: "/v1/clients", scope: Scope.admin),
        Route(method: .delete, path: "/v1/clients/cl_nobody", scope: Scope.admin),
        Route(method: .post, path: "/v1/keys/rotate", scope: Scope.admin),
    ]

    func send(_ app: TestApp, _ route: Route, token: String?) async throws -> Reply {
        if let ndjson = route.ndjson {
            return try await app.request(
                route.method, route.path, token: token, body: Array(ndjson.utf8), headers: [(.contentType, "application/x-ndjson")])
        }
        return try await app.request(route.method, route.path, token: token, json: route.json)
    }

    /// The routes this build serves. The timeline's query routes (`events/search`,
    /// `events/aggregate`) are built in parallel with auth: until they land they answer the
    /// router's 404 and are skipped here; once they exist they are checked like the rest.
    func servedRoutes(_ app: TestApp) async throws -> [Route] {
        let token = try await app.token(tenant: TestApp.tenant("probe"))
        var served: [Route] = []
        for route in Self.routes {
            let probe = try await send(app, route, token: token)
            if probe.status == 404 && probe.text.contains("no such route") || probe.status == 405 {
                print("AuthScopeTests: \(route) is not served yet; its scope is not checked")
                continue
            }
            served.append(route)
        }
        return served
    }

    @Test func everyRouteRefusesATokenWithoutItsScope() async throws {
        try await AuthHarness.run { app, _ in
            let tenant = TestApp.tenant()
            let served = try await servedRoutes(app)
            #expect(served.count >= Self.routes.count - 2)
            for route in served {
                let without = try await app.newClient(tenant: tenant, scopes: Scope.all.filter { $0 != route.scope }).token
                let refused = try await send(app, route, token: without)
                #expect(refused.isProblem(403, mentioning: route.scope.rawValue), "\(route): \(refused.status) \(refused.text)")
                #expect(refused.headers[.wwwAuthenticate]?.contains("insufficient_scope") == true, "\(route)")

                let only = try await app.newClient(tenant: tenant, scopes: [route.scope]).token
                let allowed = try await send(app, route, token: only)
                #expect(![401, 403].contains(allowed.status), "\(route) with only \(route.scope): \(allowed.status) \(allowed.text)")
            }
        }
    }

    @Test func everyRouteRefusesNoToken() async throws {
        try await AuthHarness.run { app, _ in
            for route in try await servedRoutes(app) {
                let reply = try await send(app, route, token: nil)
                #expect(reply.isInvalidTokenChallenge, "\(route): \(reply.status)")
            }
        }
    }

    @Test func operatorActsOnATenantWithTheTenantParameter() async throws {
        try await AuthHarness.run { app, _ in
            let tenant = TestApp.tenant("t")
            let tenantToken = try await app.newClient(tenant: tenant).token
            try await app.putProduct("p1", kettle, token: tenantToken)
            let (operatorClient, operatorToken) = try await app.newClient(tenant: TenantName.platform)

            let get = try await app.get("/v1/products/p1?tenant=\(tenant)", token: operatorToken)
            #expect(get.status == 200, "\(get.text)")
            #expect(get["title"] == "Electric kettle")
            let search = try await app.get("/v1/products/search?q=kettle&tenant=\(tenant)", token: operatorToken)
            #expect(search.hitIDs == ["p1"])
            let put = try await app.request(
                .put, "/v1/products/p2?tenant=\(tenant)&wait=true", token: operatorToken, json: kettle.replacingOccurrences(of: "Electric", with: "Copper"))
            #expect(put.status == 201, "\(put.text)")
            // Written into the tenant, by the operator's client.
            let p2 = try await app.get("/v1/products/p2", token: tenantToken)
            #expect(p2["title"] == "Copper kettle")
            let created = try await app.get("/v1/events/product:p2:\(put["seq"]?.integerValue ?? 0)", token: tenantToken)
            #expect(created["actor"] == .string(operatorClient.clientID))
            // Without ?tenant= the operator works in its own namespace and sees none of it.
            #expect(try await app.get("/v1/products/p1", token: operatorToken).status == 404)
            let clients = try await app.get("/v1/clients?tenant=\(tenant)", token: operatorToken)
            #expect((clients["clients"]?.arrayValue ?? []).allSatisfy { $0["tenant"] == .string(tenant) })
            #expect(clients["clients"]?.arrayValue?.isEmpty == false)
            // The platform namespace itself cannot be named.
            #expect(try await app.get("/v1/products/p1?tenant=*", token: operatorToken).isProblem(400))
        }
    }

    @Test func anyoneElseNamingATenantGets403() async throws {
        try await AuthHarness.run { app, logs in
            let a = TestApp.tenant("a")
            let b = TestApp.tenant("b")
            let tokenB = try await app.newClient(tenant: b).token
            try await app.putProduct("p1", kettle, token: tokenB)
            let adminA = try await app.newClient(tenant: a).token
            for path in ["/v1/products/p1?tenant=\(b)", "/v1/products/search?q=kettle&tenant=\(b)", "/v1/clients?tenant=\(b)",
                         "/v1/products/p1?tenant=\(a)"] {
                let reply = try await app.get(path, token: adminA)
                #expect(reply.isProblem(403, mentioning: "operator"), "\(path): \(reply.status)")
            }
            let write = try await app.request(.put, "/v1/products/p9?tenant=\(b)", token: adminA, json: kettle)
            #expect(write.isProblem(403))
            // A platform client without admin is no operator.
            let weak = try await app.newClient(tenant: TenantName.platform, scopes: [Scope.catalogueRead]).token
            #expect(try await app.get("/v1/products/p1?tenant=\(b)", token: weak).isProblem(403))
            #expect(try await app.get("/v1/products/p9", token: tokenB).status == 404)
            #expect(!logs.entries(containing: "?tenant= refused").isEmpty)
        }
    }

    @Test func writesHaveAPerClientTokenBucket() async throws {
        try await AuthHarness.run(configure: {
            $0.auth.writeBurst = 2
            $0.auth.writesPerSecond = 0.01
        }) { app, _ in
            let tenant = TestApp.tenant()
            let token = try await app.newClient(tenant: tenant).token
            #expect(try await app.request(.put, "/v1/products/p1", token: token, json: kettle).status == 201)
            #expect(try await app.request(.post, "/v1/events", token: token, json: Self.event).status == 201)
            let limited = try await app.request(.put, "/v1/products/p2", token: token, json: kettle)
            #expect(limited.isProblem(429, mentioning: "rate limit"), "\(limited.status) \(limited.text)")
            let retry = try #require(limited.retryAfter)
            #expect(retry >= 1 && retry <= 100)
            // Reads are not limited; another client of the same tenant has its own bucket.
            #expect(try await app.get("/v1/products/p1", token: token).status == 200)
            let other = try await app.newClient(tenant: tenant).token
            #expect(try await app.request(.put, "/v1/products/p2", token: other, json: kettle).status == 201)
        }
    }
}
