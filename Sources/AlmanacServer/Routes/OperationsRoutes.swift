import AlmanacApp
import AlmanacCore
import AlmanacStore
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import AlmanacAuth
import AlmanacIndex
import AlmanacCache

/// `/health`, `/ready`, `/metrics`, `/openapi.json`, `/.well-known/jwks.json`: no auth.
struct OperationsRoutes {
    let services: AlmanacServices
    let metrics: AppMetrics

    func register(on router: Router<AppRequestContext>) {
        // Read when the router is built, so a missing resource fails at start, not at a request.
        let openAPI = OpenAPIDocument.bytes
        Self.registerHealth(on: router)
        router.get("/ready") { [services] _, _ in
            try await Self.ready(services)
        }
        router.get("/metrics") { _, _ in
            var fields = HTTPFields()
            fields[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            await collectMetrics()
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

    /// `/health`: the process is up (answered from the first moment, before the services open).
    static func registerHealth(on router: Router<AppRequestContext>) {
        router.get("/health") { _, _ in
            JSONResponse.make(["status": "ok"])
        }
    }

    static func ready(_ services: AlmanacServices) async throws -> Response {
        let (ready, body) = await services.readiness()
        return JSONResponse.make(body, status: ready ? .ok : .serviceUnavailable)
    }

    /// Brings the scrape-time figures up to date: sequence numbers and lag, index sizes
    /// and documents, storage faults, cache errors, group commit, the process.
    func collectMetrics() async {
        let figures = await services.operationalFigures()
        if figures.head >= 0 { metrics.gauge("almanac_store_head_seq", Double(figures.head)) }
        for (index, f) in figures.indexes {
            if figures.head >= 0 {
                metrics.gauge("almanac_index_lag_seq", Double(max(0, figures.head - f.indexedSeq)), [("index", index)])
            }
            metrics.gauge("almanac_index_size_bytes", f.sizeBytes, [("index", index)])
            metrics.gauge("almanac_index_lag_seconds", f.lagSeconds, [("index", index)])
            metrics.gauge("almanac_index_documents", f.documents, [("index", index)])
        }
        metrics.gauge("almanac_products_indexed_seq", Double(figures.indexes["products"]?.indexedSeq ?? 0))
        metrics.gauge("almanac_events_indexed_seq", Double(figures.indexes["events"]?.indexedSeq ?? 0))
        metrics.gauge("almanac_redis_up", figures.cacheUp ? 1 : 0)
        metrics.mirror("almanac_cache_errors_total", Double(figures.cacheErrors))
        metrics.mirror("almanac_redis_cache_lookups_total", Double(figures.redisHits), [("result", "hit")])
        metrics.mirror("almanac_redis_cache_lookups_total", Double(figures.redisMisses), [("result", "miss")])
        let near = figures.near ?? NearCache.Figures()
        metrics.mirror("almanac_near_cache_lookups_total", Double(near.hits), [("result", "hit")])
        metrics.mirror("almanac_near_cache_lookups_total", Double(near.misses), [("result", "miss")])
        metrics.mirror("almanac_near_cache_evictions_total", Double(near.evictions))
        metrics.gauge("almanac_near_cache_bytes", Double(near.bytes))
        metrics.gauge("almanac_near_cache_entries", Double(near.entries))
        for component in StorageComponent.allCases {
            metrics.gauge("almanac_storage_fault", figures.storageFaults.contains(component) ? 1 : 0, [("component", component.rawValue)])
        }
        metrics.mirror("almanac_store_commits_total", Double(figures.commits))
        metrics.mirror("almanac_store_grouped_writes_total", Double(figures.groupedWrites))
        metrics.updateProcess()
    }
}
