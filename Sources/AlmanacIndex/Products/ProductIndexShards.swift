public import AlmanacCore
import Dispatch
import Foundation
import Synchronization

/// The product index as S shard databases (`<directory>/shard-0 ... shard-<S-1>`), each
/// with its own `ProductIndexWriter`; a product lives in shard `FNV-1a(tenant, id) mod S`.
/// Readers search the shards as one database (`XapianDatabase(paths:)`, Xapian's
/// `add_database`).
///
/// A batch is split per shard; the shards are staged and committed concurrently, one
/// thread each, each commit carrying the batch's watermark as that shard's `last_seq`. A
/// shard without changes in a batch only advances in memory (persisted with its next
/// commit or at close), so the index resumes from the smallest committed `last_seq`: the
/// changes after it are applied again to the shards that already hold them, which
/// replaces each product by its current body — the same documents.
///
/// The S in use is the manifest's (`shards.json`, also each shard's `shards` metadata);
/// opening with another S refuses unless the index is empty. `almanac reindex products`
/// rebuilds it with any S.
///
/// Not thread-safe: one owner (the catalogue's `ProjectionService`) calls it from one
/// thread at a time; it fans out to the shards' threads itself and joins them.
public final class ProductIndexShards {
    public static let manifestName = "shards.json"
    /// Each shard's metadata key holding S.
    public static let shardsKey = "shards"

    public let directory: String
    public let writers: [ProductIndexWriter]
    let vocabulary: TypoVocabulary
    private let lock: IndexLock

    public var count: Int { writers.count }
    /// The shard databases, in shard order (the order readers add them in).
    public var paths: [String] { writers.map(\.path) }

    public static func shardPath(_ directory: String, _ shard: Int) -> String { directory + "/shard-\(shard)" }

    /// The shard of a product.
    public static func shard(tenant: String, id: String, of count: Int) -> Int {
        count == 1 ? 0 : Int(FNV1a64.hash(Terms.unique(tenant: tenant, id: id)) % UInt64(count))
    }

    /// The S the index at `directory` records, nil when it has no manifest.
    public static func recordedCount(_ directory: String) throws -> Int? {
        guard let data = FileManager.default.contents(atPath: directory + "/" + manifestName) else { return nil }
        guard case .object(let o) = try JSONParser.parse(Array(data)), let n = o["shards"]?.integerValue, n >= 1 else {
            throw AlmanacError(.internalError, "\(directory)/\(manifestName) does not name a shard count")
        }
        return Int(n)
    }

    /// The shard databases of the index at `directory` (for readers and checks).
    public static func paths(_ directory: String) throws -> [String] {
        guard let n = try recordedCount(directory) else { return [] }
        return (0..<n).map { shardPath(directory, $0) }
    }

    /// The S a new index takes when none is asked for: one shard per core.
    public static var defaultCount: Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }

    /// Opens (creating) the index at `directory`. `shards` is the S asked for (nil: the
    /// index's own, or `defaultCount` for a new one). Throws `AlmanacError(.conflict)` when
    /// another writer holds it, `.unavailable` with the fix when it was built with another S
    /// or before shards.
    public init(
        directory: String, shards requested: Int?, slots: SlotRegistry, vocabulary: TypoVocabulary,
        durable: Bool = true, overwrite: Bool = false
    ) throws {
        let fm = FileManager.default
        try fm.createDirectory(
            at: URL(fileURLWithPath: directory).deletingLastPathComponent(), withIntermediateDirectories: true)
        lock = try IndexLock(path: ProductIndexWriter.lockPath(directory), what: "product index at \(directory)")
        if overwrite { try? fm.removeItem(atPath: directory) }
        try fm.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let fix = "stop the server and run `almanac reindex products --product-shards \(requested ?? Self.defaultCount)`"
        if fm.fileExists(atPath: directory + "/iamglass") {
            lock.release()
            throw AlmanacError(
                .unavailable,
                "the product index at \(directory) is one database, from a build before product shards: \(fix) "
                    + "(it rebuilds the index from the store, which holds every product)")
        }
        var count = try Self.recordedCount(directory) ?? requested ?? Self.defaultCount
        if let requested, requested != count {
            // An index without documents takes the S asked for; one with documents is rebuilt.
            let held = try (0..<count).reduce(0) { n, i in
                let path = Self.shardPath(directory, i)
                return fm.fileExists(atPath: path) ? n + (try XapianDatabase(path: path).documentCount) : n
            }
            if held > 0 {
                lock.release()
                throw AlmanacError(
                    .unavailable,
                    "the product index at \(directory) has \(count) shards and \(requested) were asked for "
                        + "(--product-shards or index_product_shards): \(fix), or start with --product-shards \(count)")
            }
            for i in 0..<count { try? fm.removeItem(atPath: Self.shardPath(directory, i)) }
            try? fm.removeItem(atPath: directory + "/" + Self.manifestName)
            count = requested
        }
        if try Self.recordedCount(directory) == nil {
            var manifest = JSONObject()
            manifest["shards"] = .int(Int64(count))
            try writeFileAtomically(directory + "/" + Self.manifestName, JSONWriter.encode(.object(manifest)))
        }
        var writers: [ProductIndexWriter] = []
        do {
            for i in 0..<count {
                let writer = try ProductIndexWriter(
                    path: Self.shardPath(directory, i), slots: slots, vocabulary: vocabulary, durable: durable)
                writers.append(writer)
                let stored = String(decoding: try writer.database.metadata(Self.shardsKey), as: UTF8.self)
                if stored.isEmpty {
                    try writer.database.setMetadata(Self.shardsKey, Array(String(count).utf8))
                } else if stored != String(count) {
                    throw AlmanacError(
                        .unavailable,
                        "shard \(i) of the product index at \(directory) was written as one of \(stored) shards, "
                            + "the manifest says \(count): \(fix)")
                }
            }
        } catch {
            for writer in writers { try? writer.close() }
            lock.release()
            throw error
        }
        self.directory = directory
        self.writers = writers
        self.vocabulary = vocabulary
    }

    /// Everything up to here is applied in every shard.
    public var lastSeq: Int64 { writers.lazy.map(\.lastSeq).min() ?? 0 }

    public var documentCount: Int { writers.reduce(0) { $0 + $1.documentCount } }

    /// Applies changes and commits every shard they touch with `watermark` as its
    /// `last_seq`; the others advance in memory. Answers the tenants whose documents changed.
    @discardableResult
    public func apply(
        _ changes: [ProductIndexChange], watermark: Int64, settings: @Sendable (String) -> SearchSettings
    ) throws -> Set<String> {
        let parts = split(changes)
        let staged = try perShard { i, writer in
            parts[i].isEmpty ? nil : try writer.stage(parts[i], settings: settings)
        }
        // Once, before any shard commits documents that use a new slot.
        try writers[0].slots.persistIfNeeded()
        _ = try perShard { i, writer in
            if staged[i] != nil { try writer.commitStaged(watermark: watermark) } else { writer.skip(to: watermark) }
        }
        var merged = ProductIndexWriter.Staged()
        for s in staged { if let s { merged.merge(s) } }
        merged.addTo(vocabulary)
        return merged.touched
    }

    /// Adds documents known to be new (a rebuild into empty shards), without committing.
    public func addNew(_ changes: [ProductIndexChange], settings: @Sendable (String) -> SearchSettings) throws {
        let parts = split(changes)
        let staged = try perShard { i, writer in try writer.stageNew(parts[i], settings: settings) }
        var merged = ProductIndexWriter.Staged()
        for s in staged { merged.merge(s) }
        merged.addTo(vocabulary)
    }

    /// Commits every shard with `watermark`, or its own `last_seq` where that is further
    /// (a rebuild's last step; the catalogue's start, which persists a new index's format).
    public func commit(watermark: Int64) throws {
        try writers[0].slots.persistIfNeeded()
        _ = try perShard { _, writer in try writer.commit(watermark: max(watermark, writer.lastSeq)) }
    }

    public func skip(to watermark: Int64) {
        for writer in writers { writer.skip(to: watermark) }
    }

    public func commitSkipped() throws {
        _ = try perShard { _, writer in try writer.commitSkipped() }
    }

    /// Every unprefixed word with its document frequency summed over the shards.
    public func vocabularyEntries() throws -> [(String, Int)] {
        if writers.count == 1 { return try writers[0].vocabularyEntries() }
        var sums: [String: Int] = [:]
        for writer in writers { for (word, n) in try writer.vocabularyEntries() { sums[word, default: 0] += n } }
        return sums.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    /// Every `N` name term of every shard.
    public func nameTerms() throws -> [String] {
        try writers.flatMap { try $0.nameTerms() }
    }

    public func close() throws {
        defer { lock.release() }
        var failure: (any Error)?
        for writer in writers {
            do { try writer.close() } catch { failure = failure ?? error }
        }
        if let failure { throw failure }
    }

    private func split(_ changes: [ProductIndexChange]) -> [[ProductIndexChange]] {
        if writers.count == 1 { return [changes] }
        var parts = Array(repeating: [ProductIndexChange](), count: writers.count)
        for change in changes {
            parts[Self.shard(tenant: change.tenant, id: change.id, of: writers.count)].append(change)
        }
        return parts
    }

    /// Runs `body` for every shard, each on its own thread (the caller's among them), and
    /// answers the results in shard order; the first error (in shard order) is rethrown
    /// once every shard is done. `body` gets shard i's writer and may touch no other: the
    /// writers are not thread-safe, and what they share (the slot registry, the
    /// vocabulary) is.
    private func perShard<T: Sendable>(_ body: @Sendable (Int, ProductIndexWriter) throws -> T) throws -> [T] {
        if writers.count == 1 { return [try body(0, writers[0])] }
        let results = Mutex([Result<T, any Error>?](repeating: nil, count: writers.count))
        let shards = Writers(writers)
        DispatchQueue.concurrentPerform(iterations: shards.writers.count) { i in
            let r = Result { try body(i, shards.writers[i]) }
            results.withLock { $0[i] = r }
        }
        return try results.withLock { $0 }.map { try $0!.get() }
    }

    /// The writers handed to `perShard`'s threads. `@unchecked Sendable`: iteration i uses
    /// `writers[i]` alone, the iterations are distinct, and `concurrentPerform` returns only
    /// once every iteration has ended, so no writer is used by two threads at once or
    /// after its owner has moved on.
    private struct Writers: @unchecked Sendable {
        let writers: [ProductIndexWriter]
        init(_ writers: [ProductIndexWriter]) { self.writers = writers }
    }
}
