import Testing
import AlmanacCore

@Suite struct OperationsTests {
    @Test func openAPIDocumentListsEveryContractPath() async throws {
        try await TestApp.run(redis: .none) { app in
            let reply = try await app.get("/openapi.json", token: nil)
            #expect(reply.status == 200)
            #expect(reply["openapi"] == "3.1.0")
            let paths = Set(reply["paths"]?.objectValue?.keys ?? [])
            for path in [
                "/health", "/ready", "/metrics", "/openapi.json", "/.well-known/jwks.json", "/v1/auth/token", "/v1/clients",
                "/v1/clients/{id}", "/v1/keys/rotate", "/v1/products/{id}", "/v1/products/_bulk", "/v1/products/search",
                "/v1/settings", "/v1/events", "/v1/events/_bulk", "/v1/events/search", "/v1/events/aggregate",
                "/v1/events/{id}", "/v1/entities/{type}/{id}/events",
            ] {
                #expect(paths.contains(path), "missing \(path)")
            }
        }
    }

    @Test func metricsCountRequests() async throws {
        try await TestApp.run(redis: .none) { app in
            _ = try await app.get("/health", token: nil)
            let metrics = try await app.get("/metrics", token: nil)
            #expect(metrics.status == 200)
            #expect(metrics.text.contains("almanac_http_requests_total"))
            #expect(metrics.text.contains("almanac_redis_up 0"))
        }
    }
}
