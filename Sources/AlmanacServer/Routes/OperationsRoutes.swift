import AlmanacStore
import AlmanacCore
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// `/health`, `/ready`, `/metrics`, `/openapi.json`, `/.well-known/jwks.json`: no auth.
struct OperationsRoutes {
    let services: AlmanacServices

    func register(on router: Router<AppRequestContext>) {
        router.get("/health") { _, _ in
            JSONResponse.make(["status": "ok"])
        }
        router.get("/ready") { _, _ in
            try await ready()
        }
        router.get("/metrics") { _, _ in
            var fields = HTTPFields()
            fields[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            await collectMetrics()
            return Response(status: .ok, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: services.metrics.render())))
        }
        router.get("/openapi.json") { _, _ in
            JSONResponse.make(Array(OpenAPIDocument.json.utf8))
        }
        router.get("/.well-known/jwks.json") { _, _ in
            var fields = HTTPFields()
            fields[.contentType] = "application/json"
            fields[.cacheControl] = "public, max-age=60"
            return Response(status: .ok, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: services.tokens.keyring.jwks())))
        }
    }

    func ready() async throws -> Response {
        let health = services.store.health
        // A fault clears by itself in the background; checking here too makes /ready see a
        // recovery at once.
        if !health.faults.isEmpty { await health.recheck() }
        let faults = health.faults
        let writable = await services.store.isWritable()
        let head = (try? await services.threadPool.runIfActive { try services.store.headSeq() }) ?? -1
        let productSeq = services.productWatermark.value
        var redis: JSONValue = "off"
        if let status = services.cache.status { redis = .string(status == .up ? "up" : "down") }
        var indexes = JSONObject()
        indexes["products"] = ["indexed_seq": .int(productSeq), "lag": .int(max(0, head - productSeq))]
        services.eventReadiness(into: &indexes, head: head)
        for (component, key) in [(StorageComponent.productIndex, "products"), (.eventIndex, "events")] {
            if let fault = faults.first(where: { $0.component == component }), case .object(var o)? = indexes[key] {
                o["storage"] = .string(fault.kind.rawValue)
                indexes[key] = .object(o)
            }
        }
        let storeFault = faults.first { $0.component == .store }
        let ready = writable && head >= 0 && faults.isEmpty
        var body = JSONObject()
        body["status"] = .string(ready ? "ready" : "not ready")
        body["store"] = .string(storeFault.map { $0.kind == .io ? "failing" : $0.kind.rawValue } ?? (writable ? "writable" : "unavailable"))
        body["durability"] = .string(services.store.options.durability.rawValue)
        body["seq"] = .int(head)
        body["indexes"] = .object(indexes)
        body["redis"] = redis
        body["cache"] = .string(redis == "up" ? "on" : "off")
        if !faults.isEmpty {
            body["cause"] = .string(faults.map(\.description).joined(separator: "; "))
            body["storage_faults"] = .array(
                faults.map { f in
                    [
                        "component": .string(f.component.rawValue), "kind": .string(f.kind.rawValue), "path": .string(f.path),
                        "since": .string(Timestamp(microseconds: Int64(f.since.timeIntervalSince1970 * 1_000_000)).rfc3339),
                        "error": .string(f.cause),
                    ]
                })
        } else if !writable {
            body["cause"] = "the store does not answer a write"
        }
        return JSONResponse.make(.object(body), status: ready ? .ok : .serviceUnavailable)
    }

    /// Brings the scrape-time figures up to date: sequence numbers and lag, index sizes
    /// and documents, storage faults, cache errors, group commit, the process.
    func collectMetrics() async {
        let metrics = services.metrics
        let store = services.store
        let productSeq = services.productWatermark.value
        let eventSeq = services.eventWatermark.value
        let months = services.events.readers.allMonths
        let directories = [("products", services.configuration.productIndexPath), ("events", services.configuration.eventIndexDirectory)]
        let figures = try? await services.threadPool.runIfActive { () -> ScrapeFigures in
            let now = Timestamp.now()
            func age(_ t: Timestamp?) -> Double { t.map { max(0, Double(now.microseconds - $0.microseconds) / 1e6) } ?? 0 }
            var sizes: [String: Double] = [:]
            for (name, path) in directories { sizes[name] = Double(ScrapeFigures.bytes(under: path)) }
            return ScrapeFigures(
                head: try store.headSeq(),
                productLag: age(try store.firstPendingWriteTime(after: productSeq, productChanges: true)),
                eventLag: age(try store.firstPendingWriteTime(after: eventSeq, productChanges: false)),
                sizes: sizes)
        }
        var documents: [String: Double] = [:]
        documents["products"] = (try? await services.productSearcher.readers.withReader { Double(try $0.documentCount) }) ?? 0
        var eventDocuments = 0.0
        for month in months {
            eventDocuments += (try? await services.events.readers.withReader(month) { Double(try $0.documentCount) }) ?? 0
        }
        documents["events"] = eventDocuments
        if let figures {
            metrics.gauge("almanac_store_head_seq", Double(figures.head))
            for (index, seq) in [("products", productSeq), ("events", eventSeq)] {
                metrics.gauge("almanac_index_lag_seq", Double(max(0, figures.head - seq)), [("index", index)])
                metrics.gauge("almanac_index_size_bytes", figures.sizes[index] ?? 0, [("index", index)])
            }
            metrics.gauge("almanac_index_lag_seconds", figures.productLag, [("index", "products")])
            metrics.gauge("almanac_index_lag_seconds", figures.eventLag, [("index", "events")])
        }
        for (index, count) in documents { metrics.gauge("almanac_index_documents", count, [("index", index)]) }
        metrics.gauge("almanac_products_indexed_seq", Double(productSeq))
        metrics.gauge("almanac_events_indexed_seq", Double(eventSeq))
        metrics.gauge("almanac_redis_up", services.cache.status == .up ? 1 : 0)
        metrics.mirror("almanac_cache_errors_total", Double(services.cache.errorCount))
        let faulted = Set(store.health.faults.map(\.component))
        for component in StorageComponent.allCases {
            metrics.gauge("almanac_storage_fault", faulted.contains(component) ? 1 : 0, [("component", component.rawValue)])
        }
        let group = store.groupCommitCounts
        metrics.mirror("almanac_store_commits_total", Double(group.commits))
        metrics.mirror("almanac_store_grouped_writes_total", Double(group.writes))
        metrics.updateProcess()
    }
}

/// Figures read on the thread pool for one scrape.
struct ScrapeFigures: Sendable {
    var head: Int64
    var productLag: Double
    var eventLag: Double
    var sizes: [String: Double]

    /// Bytes of the regular files under `path`.
    static func bytes(under path: String) -> Int64 {
        let fm = FileManager.default
        guard let walker = fm.enumerator(atPath: path) else { return 0 }
        var total: Int64 = 0
        while let name = walker.nextObject() as? String {
            if let attributes = try? fm.attributesOfItem(atPath: path + "/" + name),
                attributes[.type] as? FileAttributeType == .typeRegular, let size = attributes[.size] as? NSNumber
            {
                total += size.int64Value
            }
        }
        return total
    }
}
