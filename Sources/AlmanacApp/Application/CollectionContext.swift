import AlmanacAuth
public import AlmanacCache
import AlmanacCore
import AlmanacIndex
import Synchronization

/// A rendered query answer: the body without its per-response tail (`took_ms`, `cache`,
/// appended by `QueryAnswer.finished`), how it was produced, and the index's watermark.
/// A product search's stored bytes begin with its `SearchFacts` header, split off by
/// `splittingFacts()` without copying or parsing the body.
public struct QueryAnswer: Sendable {
    /// The bytes as computed or cached.
    let stored: [UInt8]
    /// Where the JSON body starts in `stored` (after a facts header, if any).
    let bodyStart: Int
    public var cache: CacheStatus
    /// The seq the index had applied when the answer was handed out (`X-Almanac-Seq`).
    public var indexedSeq: Int64
    /// A product search's facts (nil for other answers).
    public var facts: SearchFacts?

    public init(body: [UInt8], cache: CacheStatus, indexedSeq: Int64) {
        stored = body
        bodyStart = 0
        self.cache = cache
        self.indexedSeq = indexedSeq
    }

    private init(stored: [UInt8], bodyStart: Int, facts: SearchFacts?, cache: CacheStatus, indexedSeq: Int64) {
        self.stored = stored
        self.bodyStart = bodyStart
        self.facts = facts
        self.cache = cache
        self.indexedSeq = indexedSeq
    }

    /// The JSON body without its tail.
    public var body: ArraySlice<UInt8> { stored[bodyStart...] }

    /// The same answer with the `SearchFacts` header read off the front of its bytes.
    func splittingFacts() -> QueryAnswer {
        let (facts, start) = SearchFacts.read(stored)
        return QueryAnswer(stored: stored, bodyStart: start, facts: facts, cache: cache, indexedSeq: indexedSeq)
    }

    /// The body with `took_ms` and `cache` appended: cached bytes are served unchanged.
    public func finished(tookMs: Double) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(stored.count - bodyStart + 40)
        out.append(contentsOf: body)
        out.append(contentsOf: ",\"took_ms\":".utf8)
        let rounded = (tookMs * 1000).rounded() / 1000
        out.append(contentsOf: JSONWriter.string(.double(rounded)).utf8)
        out.append(contentsOf: ",\"cache\":\"".utf8)
        out.append(contentsOf: cache.rawValue.utf8)
        out.append(contentsOf: "\"}".utf8)
        return out
    }
}

/// A committed write: what the store answered, its seq, and — with `wait` — whether the
/// index applied it in time.
public struct WriteReceipt<Result: Sendable>: Sendable {
    public var result: Result
    public var seq: Int64
    /// nil unless the caller asked to wait.
    public var indexed: Bool?
    public var indexedSeq: Int64
}

/// A counter in every cache key of a collection, bumped when answers change without a new
/// seq (retention dropping whole months): those answers become unreachable.
public final class CacheEpoch: Sendable {
    private let value = Atomic<Int>(0)
    public init() {}
    public var current: Int { value.load(ordering: .relaxed) }
    public func bump() { value.wrappingAdd(1, ordering: .relaxed) }
}

/// What the catalogue and the timeline share around their index: the one cache-key
/// recipe, cached queries with single-flight, read-your-writes waits and write receipts.
struct CollectionContext: Sendable {
    let collection: CacheCollection
    let tenants: TenantState
    let cache: QueryCache
    let cacheTTL: Int
    let minSeqWait: Duration
    let watermark: Watermark
    let epoch: CacheEpoch
    /// Wakes every indexer (a product write also appends a timeline event).
    let changesCommitted: @Sendable () -> Void

    /// `tenant | collection | generation | sha256(kind, canonical request, settings, epoch)`.
    /// The generation moves when an indexed change touches the tenant, the settings
    /// generation when its settings change, the epoch when retention drops months.
    func cacheKey(kind: String, canonical: String, tenant: String) throws -> CacheKey {
        let digest = try SHA256.hash(
            kind + "\u{1F}" + canonical + "\u{1F}settings=\(tenants.settingsGeneration(tenant))\u{1F}epoch=\(epoch.current)")
        return CacheKey(tenant: tenant, collection: collection, generation: tenants.generation(collection, tenant: tenant), digest: digest)
    }

    /// Answers from the cache, or computes, renders and stores (one computation per key at
    /// a time).
    func cached(
        kind: String, canonical: String, tenant: String, compute: @Sendable () async throws -> [UInt8]
    ) async throws -> QueryAnswer {
        let key = try cacheKey(kind: kind, canonical: canonical, tenant: tenant)
        let (bytes, status) = try await cache.fetch(key: key.rawValue, ttl: cacheTTL, compute: compute)
        return QueryAnswer(body: bytes, cache: status, indexedSeq: watermark.value)
    }

    /// A query: waits for `minSeq`, then answers from the cache or renders what `compute`
    /// finds with the tenant's settings.
    func answer<Request: Sendable>(
        _ request: Request, kind: String, canonical: String, tenant: String, minSeq: Int64?,
        compute: @escaping @Sendable (Request, SearchSettings) async throws -> [UInt8]
    ) async throws -> QueryAnswer {
        try await awaitSeq(minSeq)
        let settings = tenants.settings(tenant)
        return try await cached(kind: kind, canonical: canonical, tenant: tenant) { try await compute(request, settings) }
    }

    /// Read-your-writes: waits (up to the configured limit) until the index applied `seq`.
    func awaitSeq(_ seq: Int64?) async throws {
        guard let seq else { return }
        if await watermark.wait(for: seq, timeout: minSeqWait) { return }
        let seconds = Int(minSeqWait.components.seconds)
        throw AlmanacError(.unavailable, "the index has not applied seq \(seq) within \(seconds) s (at \(watermark.value))", retryAfter: 1)
    }

    /// Ends a bulk load: its report once committed (and indexed, with `wait`).
    func finish<W: BulkWriter>(_ bulk: BulkPipeline<W>, wait: Bool) async throws -> WriteReceipt<BulkReport> {
        let report = try await bulk.finish()
        return await completed(report, seq: report.seq, wait: wait)
    }

    /// After a committed write: wakes the indexers and, with `wait`, waits for this one.
    func completed<Result: Sendable>(_ result: Result, seq: Int64, wait: Bool) async -> WriteReceipt<Result> {
        changesCommitted()
        var receipt = WriteReceipt(result: result, seq: seq, indexed: nil, indexedSeq: watermark.value)
        if wait {
            receipt.indexed = await watermark.wait(for: seq, timeout: minSeqWait)
            receipt.indexedSeq = watermark.value
        }
        return receipt
    }
}
