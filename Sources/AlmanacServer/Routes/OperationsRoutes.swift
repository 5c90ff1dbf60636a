import AlmanacApp
import HTTPTypes
import Hummingbird
import NIOCore
import AlmanacAuth
import AlmanacIndex
import AlmanacCore
import AlmanacCache

/// `/health`, `/ready`, `/metrics`, `/openapi.json`, `/.well-known/jwks.json`: no auth.
struct OperationsRoutes {
    let services: AlmanacServices
    let metrics: AppMetrics

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
            metrics.gauge("almanac_products_indexed_seq", Double(services.catalogue.watermark.value))
            metrics.gauge("almanac_events_indexed_seq", Double(services.timeline.watermark.value))
            metrics.gauge("almanac_redis_up", services.cacheStatus == .up ? 1 : 0)
            return Response(status: .ok, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: metrics.render())))
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
        let (ready, body) = await services.readiness()
        return JSONResponse.make(body, status: ready ? .ok : .serviceUnavailable)
    }
}
