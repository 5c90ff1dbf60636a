import AlmanacStore
import AlmanacCore
import HTTPTypes
import Hummingbird
import NIOCore

/// `/health`, `/ready`, `/metrics`, `/openapi.json`, `/.well-known/jwks.json`: no auth.
struct OperationsRoutes {
    let services: AlmanacServices

    func register(on router: Router<AppRequestContext>) {
        // Read when the router is built, so a missing resource fails at start, not at a request.
        let openAPI = OpenAPIDocument.bytes
        router.get("/health") { _, _ in
            JSONResponse.make(["status": "ok"])
        }
        router.get("/ready") { _, _ in
            try await ready()
        }
        router.get("/metrics") { _, _ in
            var fields = HTTPFields()
            fields[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            services.metrics.gauge("almanac_products_indexed_seq", Double(services.productWatermark.value))
            services.metrics.gauge("almanac_events_indexed_seq", Double(services.eventWatermark.value))
            services.metrics.gauge("almanac_redis_up", services.cache.status == .up ? 1 : 0)
            return Response(status: .ok, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: services.metrics.render())))
        }
        router.get("/openapi.json") { _, _ in
            JSONResponse.make(openAPI)
        }
        router.get("/.well-known/jwks.json") { _, _ in
            var fields = HTTPFields()
            fields[.contentType] = "application/json"
            fields[.cacheControl] = "public, max-age=60"
            return Response(status: .ok, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: services.tokens.keyring.jwks())))
        }
    }

    func ready() async throws -> Response {
        let writable = await services.store.isWritable()
        let head = (try? await services.threadPool.runIfActive { try services.store.headSeq() }) ?? -1
        let productSeq = services.productWatermark.value
        var redis: JSONValue = "off"
        if let status = services.cache.status { redis = .string(status == .up ? "up" : "down") }
        var indexes = JSONObject()
        indexes["products"] = ["indexed_seq": .int(productSeq), "lag": .int(max(0, head - productSeq))]
        services.eventReadiness(into: &indexes, head: head)
        let ready = writable && head >= 0
        let body: JSONValue = [
            "status": .string(ready ? "ready" : "not ready"),
            "store": .string(writable ? "writable" : "unavailable"),
            "seq": .int(head),
            "indexes": .object(indexes),
            "redis": redis,
            "cache": .string(redis == "up" ? "on" : "off"),
        ]
        return JSONResponse.make(body, status: ready ? .ok : .serviceUnavailable)
    }
}
