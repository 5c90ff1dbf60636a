public import AlmanacCore
public import AlmanacStore
import Foundation
import NIOPosix
public import AlmanacCache
import AlmanacIndex

extension AlmanacServices {
    /// `/ready`: the store writable and free of storage faults, what each index applied
    /// and its lag, the cache. Answers whether the node is ready, and the body.
    public func readiness() async -> (ready: Bool, body: JSONValue) {
        let health = store.health
        // A fault clears by itself in the background; checking here too makes /ready see a
        // recovery at once.
        if !health.faults.isEmpty { await health.recheck() }
        let faults = health.faults
        let writable = await store.isWritable()
        let head = (try? await store.headSeq()) ?? -1
        let productSeq = catalogue.watermark.value
        var redis: JSONValue = "off"
        // Near-cache hits never reach Redis, so ask it: the breaker's state is then current.
        if let pool = cache.pool { _ = await pool.ping() }
        if let status = cache.status { redis = .string(status == .up ? "up" : "down") }
        var indexes = JSONObject()
        indexes["products"] = ["indexed_seq": .int(productSeq), "lag": .int(max(0, head - productSeq))]
        indexes["events"] = timeline.readiness(head: head)
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
        body["durability"] = .string(store.options.durability.rawValue)
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
        return (ready, .object(body))
    }

    /// What `/metrics` reports at scrape time, gathered off the event loop.
    public func operationalFigures() async -> OperationalFigures {
        let (productSeq, eventSeq) = (catalogue.watermark.value, timeline.watermark.value)
        let directories = [("products", configuration.productIndexPath), ("events", configuration.eventIndexDirectory)]
        let store = store
        var figures = OperationalFigures()
        if let read = try? await executors.batch.runIfActive({ () -> (Int64, Double, Double, [String: Double]) in
            let now = Timestamp.now()
            func age(_ t: Timestamp?) -> Double { t.map { max(0, Double(now.microseconds - $0.microseconds) / 1e6) } ?? 0 }
            var sizes: [String: Double] = [:]
            for (name, path) in directories { sizes[name] = Double(OperationalFigures.bytes(under: path)) }
            return (
                try store.headSeq(), age(try store.firstPendingWriteTime(after: productSeq, productChanges: true)),
                age(try store.firstPendingWriteTime(after: eventSeq, productChanges: false)), sizes
            )
        }) {
            figures.head = read.0
            figures.indexes["products"] = .init(indexedSeq: productSeq, lagSeconds: read.1, sizeBytes: read.3["products"] ?? 0)
            figures.indexes["events"] = .init(indexedSeq: eventSeq, lagSeconds: read.2, sizeBytes: read.3["events"] ?? 0)
        }
        figures.indexes["products", default: .init(indexedSeq: productSeq)].documents =
            (try? await catalogue.searcher.readers.withReader { Double(try $0.documentCount) }) ?? 0
        var eventDocuments = 0.0
        for month in timeline.readers.allMonths {
            eventDocuments += (try? await timeline.readers.withReader(month) { Double(try $0.documentCount) }) ?? 0
        }
        figures.indexes["events", default: .init(indexedSeq: eventSeq)].documents = eventDocuments
        figures.cacheUp = cache.status == .up
        figures.cacheErrors = cache.errorCount
        figures.redisHits = cache.redisHitCount
        figures.redisMisses = cache.redisMissCount
        figures.near = cache.near?.figures
        figures.storageFaults = Set(store.health.faults.map(\.component))
        (figures.commits, figures.groupedWrites) = store.groupCommitCounts
        return figures
    }
}

/// Scrape-time figures for `/metrics`.
public struct OperationalFigures: Sendable {
    public struct Index: Sendable {
        public var indexedSeq: Int64
        public var lagSeconds = 0.0
        public var sizeBytes = 0.0
        public var documents = 0.0
    }

    /// The store's last seq (-1 when unreadable).
    public var head: Int64 = -1
    /// By index name (`products`, `events`).
    public var indexes: [String: Index] = [:]
    public var cacheUp = false
    public var cacheErrors = 0
    public var redisHits = 0
    public var redisMisses = 0
    /// nil without a near cache.
    public var near: NearCache.Figures?
    public var storageFaults: Set<StorageComponent> = []
    public var commits = 0
    public var groupedWrites = 0

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
