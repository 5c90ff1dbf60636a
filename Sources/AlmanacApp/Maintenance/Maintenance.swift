import AlmanacCore
import AlmanacIndex
public import AlmanacStore
import Foundation
public import Logging
import NIOPosix

/// Operator commands that work on a data directory directly: catch-up indexing, rebuilds,
/// consistency checks and backups. Each runs the same `ProjectionDriver` the server's
/// indexers run, inline; each needs the index's lock, so a running server (which holds
/// it) is told apart by `AlmanacError(.conflict)`.
public enum Maintenance {
    /// Applies every committed product change to the index. Answers false when a running
    /// server holds the index (its own indexer applies them).
    public static func catchUpProducts(_ configuration: AlmanacConfiguration, store: Store) throws -> Bool {
        guard let driver = try productDriver(configuration, store: store) else { return false }
        try driver.catchUp()
        try driver.close()
        return true
    }

    /// Applies every stored event the month indexes lack; false when a server holds them.
    public static func catchUpEvents(_ configuration: AlmanacConfiguration, store: Store, logger: Logger) throws -> Bool {
        guard let driver = try eventDriver(configuration, store: store, logger: logger) else { return false }
        try driver.catchUp()
        try driver.close()
        return true
    }

    /// Catch-up for every index after an offline import; false if a server holds the locks.
    public static func catchUp(_ configuration: AlmanacConfiguration, store: Store, logger: Logger) throws -> Bool {
        let products = try catchUpProducts(configuration, store: store)
        let events = try catchUpEvents(configuration, store: store, logger: logger)
        return products && events
    }

    /// Runs `load` (an offline import into `store`) while every index follows the store:
    /// each index's `ProjectionService` (the server's indexer loop) applies what `load` has
    /// committed as it commits, on a thread of its own, and the rest once `load` returns,
    /// so parsing and SQLite commits overlap the index writes. Answers what `load` answered
    /// and when it returned (the records durable), and whether the indexes were ours: false
    /// when a running server holds them (its own indexers apply the new records).
    public static func indexing<R: Sendable>(
        _ configuration: AlmanacConfiguration, store: Store, logger: Logger, alongside load: () async throws -> R
    ) async throws -> (result: R, durable: ContinuousClock.Instant, indexed: Bool) {
        let products = try productDriver(configuration, store: store)
        let events = try eventDriver(configuration, store: store, logger: logger)
        guard let products, let events else {
            try products?.close()
            try events?.close()
            let result = try await load()
            return (result, .now, false)
        }
        let pool = NIOThreadPool(numberOfThreads: 2)
        pool.start()
        defer { pool.shutdownGracefully { _ in } }
        func follower<P>(_ name: String, _ driver: ProjectionDriver<P>) -> ProjectionService<P> {
            ProjectionService(
                name: name, driver: driver, threadPool: pool, pollInterval: .milliseconds(50), logger: logger, published: { _, _ in })
        }
        let services = (follower("products indexer", products), follower("events indexer", events))
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await services.0.run() }
            group.addTask { try await services.1.run() }
            do {
                let result = try await load()
                let durable = ContinuousClock.now
                try await services.0.catchUp()
                try await services.1.catchUp()
                services.0.signal.close()
                services.1.signal.close()
                try await group.waitForAll()
                return (result, durable, true)
            } catch {
                services.0.signal.close()
                services.1.signal.close()
                try? await group.waitForAll()
                throw error
            }
        }
    }

    /// The product index's projection loop for an offline catch-up (nil when a server holds the index).
    static func productDriver(_ configuration: AlmanacConfiguration, store: Store) throws -> ProjectionDriver<CatalogueProjection>? {
        let tenants = try TenantState.loaded(from: store)
        guard let writer = try ifUnlocked({
            try ProductIndexShards(
                directory: configuration.productIndexPath, shards: configuration.index.productShards,
                slots: SlotRegistry(path: configuration.productSlotsPath), vocabulary: TypoVocabulary(rebuildThreshold: .max))
        }) else { return nil }
        return ProjectionDriver(CatalogueProjection(writer: writer, store: store, settings: { tenants.settings($0) }), batchSize: 5000)
    }

    /// The month indexes' projection loop for an offline catch-up (nil when a server holds them).
    static func eventDriver(_ configuration: AlmanacConfiguration, store: Store, logger: Logger) throws -> ProjectionDriver<TimelineProjection>? {
        let tenants = try TenantState.loaded(from: store)
        // The columns are loaded as a server start would load them, so the month files
        // this catch-up writes hold every event (a server's next start reads them).
        let columns = EventColumnStore()
        guard let writer = try ifUnlocked({
            try EventIndexWriter(
                directory: configuration.eventIndexDirectory, slots: SlotRegistry(path: configuration.eventSlotsPath),
                columns: columns, logger: logger)
        }) else { return nil }
        let retainFrom = EventRetention.firstKeptMonth(days: configuration.events.retentionDays, now: .now())
        _ = try EventColumnLoader.load(writer: writer, store: store, into: columns, retainFrom: retainFrom, logger: logger, progress: nil)
        return ProjectionDriver(
            TimelineProjection(
                writer: writer, store: store, retentionDays: configuration.events.retentionDays,
                language: { tenants.settings($0).language }),
            batchSize: 20_000)
    }

    /// Rebuilds the product index from the store into a new directory and swaps it in,
    /// with `index.productShards` shards (else as many as it had, else one per core).
    /// Needs the server stopped (the index's lock tells).
    @discardableResult
    public static func reindexProducts(_ configuration: AlmanacConfiguration, store: Store, logger: Logger) throws -> Int {
        let path = configuration.productIndexPath
        let fm = FileManager.default
        // A data directory restored with only its store (docs/operations.md) has no `index/` yet.
        try fm.createDirectory(atPath: configuration.dataDirectory + "/index", withIntermediateDirectories: true)
        let held = try IndexLock(path: ProductIndexWriter.lockPath(path), what: "product index: stop `almanac serve` first")
        defer { held.release() }
        let shards = configuration.index.productShards ?? (try? ProductIndexShards.recordedCount(path))
            ?? ProductIndexShards.defaultCount
        let tenants = try TenantState.loaded(from: store)
        let fresh = path + ".new", slotsPath = configuration.productSlotsPath
        try? fm.removeItem(atPath: fresh)
        try? fm.removeItem(atPath: slotsPath + ".new")
        let writer = try ProductIndexShards(
            directory: fresh, shards: shards, slots: SlotRegistry(path: slotsPath + ".new"),
            vocabulary: TypoVocabulary(rebuildThreshold: .max), durable: false, overwrite: true)
        let rebuild = CatalogueRebuild(writer: writer, store: store, settings: { tenants.settings($0) })
        let driver = ProjectionDriver(rebuild, batchSize: 2000)
        try driver.catchUp()
        let head = rebuild.lastSeq
        try driver.close()
        try? fm.removeItem(atPath: ProductIndexWriter.lockPath(fresh))
        try swap(fresh, into: path)
        if fm.fileExists(atPath: slotsPath + ".new") {
            try? fm.removeItem(atPath: slotsPath)
            try fm.moveItem(atPath: slotsPath + ".new", toPath: slotsPath)
        }
        logger.info("rebuilt the product index: \(rebuild.added) products in \(shards) shards, last_seq \(head)")
        return rebuild.added
    }

    /// Rebuilds every month database from the store into a new directory and swaps it in.
    /// Needs the server stopped (the index's lock tells).
    public static func reindexEvents(_ configuration: AlmanacConfiguration, store: Store, logger: Logger) throws {
        let directory = configuration.eventIndexDirectory
        let fm = FileManager.default
        try fm.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let held = try IndexLock(
            path: directory + "/" + EventIndexWriter.lockFileName, what: "event index: stop `almanac serve` first")
        defer { held.release() }
        let tenants = try TenantState.loaded(from: store)
        let fresh = directory + ".new"
        try? fm.removeItem(atPath: fresh)
        // With columns, so every month gets its column file (written at close).
        let writer = try EventIndexWriter(
            directory: fresh, slots: SlotRegistry(path: fresh + "/slots.json"), columns: EventColumnStore(), durable: false,
            maxOpenWriters: 64, columnFileInterval: .seconds(3600))
        let projection = TimelineProjection(
            writer: writer, store: store, retentionDays: configuration.events.retentionDays,
            language: { tenants.settings($0).language })
        let driver = ProjectionDriver(projection, batchSize: 20_000)
        try driver.catchUp()
        let head = projection.lastSeq
        try driver.close()
        try swap(fresh, into: directory)
        logger.info("rebuilt the event index: last_seq \(head)")
    }

    /// Compares store and indexes: per-tenant counts and whether each index applied
    /// everything stored.
    public static func check(_ configuration: AlmanacConfiguration, store: Store) throws -> [String] {
        var problems: [String] = []
        let counts = try store.counts()
        let (db, lastSeq) = try openProductShards(configuration)
        let pending = try store.productChanges(after: lastSeq, limit: 1)
        if !pending.changes.isEmpty {
            problems.append("products: the index is behind the store (last_seq \(lastSeq), change \(pending.changes[0].seq) not applied)")
        }
        var indexed = 0
        for (tenant, count) in counts.products.sorted(by: { $0.key < $1.key }) {
            let n = try db.termFrequency(Terms.keyword(Terms.tenant, tenant))
            indexed += n
            if n != count { problems.append("products of tenant \(tenant): \(count) in the store, \(n) in the index") }
        }
        let total = try db.documentCount
        if total != indexed { problems.append("products: the index holds \(total - indexed) documents of tenants the store does not know") }
        problems.append(contentsOf: try checkEvents(configuration, store: store, counts: counts.events))
        return problems
    }

    /// Per-tenant event counts (of the months retention keeps) and the indexed seq.
    static func checkEvents(_ configuration: AlmanacConfiguration, store: Store, counts: [String: Int]) throws -> [String] {
        var problems: [String] = []
        let directory = configuration.eventIndexDirectory
        let lastSeq = EventIndexWriter.readState(directory) ?? 0
        let pending = try store.eventChanges(after: lastSeq, limit: 1)
        if !pending.changes.isEmpty {
            problems.append("events: the index is behind the store (last_seq \(lastSeq), event seq \(pending.changes[0].seq) not applied)")
        }
        let retainFrom = EventRetention.firstKeptMonth(days: configuration.events.retentionDays, now: .now())
        let stored = retainFrom == nil ? counts : try store.eventCounts(occurredFrom: retainFrom!.start)
        let indexed = try EventIndexWriter.documentCounts(directory: directory)
        for tenant in Set(stored.keys).union(indexed.keys).sorted() {
            let s = stored[tenant] ?? 0
            let i = indexed[tenant] ?? 0
            if s != i { problems.append("events of tenant \(tenant): \(s) in the store, \(i) in the index") }
        }
        return problems
    }

    /// A consistent copy: the store through SQLite's online backup, then rebuilt indexes.
    public static func backup(_ configuration: AlmanacConfiguration, store: Store, to directory: String, logger: Logger) throws {
        let fm = FileManager.default
        try fm.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let target = directory + "/almanac.sqlite3"
        if fm.fileExists(atPath: target) { throw AlmanacError(.conflict, "\(target) exists: back up into an empty directory") }
        try store.backup(to: target)
        for name in ["master.key"] where fm.fileExists(atPath: configuration.dataDirectory + "/" + name) {
            try fm.copyItem(atPath: configuration.dataDirectory + "/" + name, toPath: directory + "/" + name)
        }
        // Indexes are a projection of the store: rebuilding them from the copied store makes
        // them consistent with it by construction.
        var copy = configuration
        copy.dataDirectory = directory
        // The copy keeps the source's shard count unless another is asked for.
        copy.index.productShards = configuration.index.productShards
            ?? (try? ProductIndexShards.recordedCount(configuration.productIndexPath))
        let copiedStore = try Store(path: copy.storePath)
        try fm.createDirectory(atPath: directory + "/index", withIntermediateDirectories: true)
        try reindexProducts(copy, store: copiedStore, logger: logger)
        try reindexEvents(copy, store: copiedStore, logger: logger)
        try copiedStore.close()
    }

    /// The product index's shards opened as one, and the smallest `last_seq` among them.
    static func openProductShards(_ configuration: AlmanacConfiguration) throws -> (XapianDatabase, Int64) {
        let paths = try ProductIndexShards.paths(configuration.productIndexPath)
        var lastSeq: Int64?
        for path in paths {
            let seq = Int64(String(decoding: try XapianDatabase(path: path).metadata(ProductIndexWriter.lastSeqKey), as: UTF8.self)) ?? 0
            lastSeq = min(lastSeq ?? seq, seq)
        }
        return (try XapianDatabase(paths: paths), lastSeq ?? 0)
    }

    /// Opens a writer unless another process holds the index.
    private static func ifUnlocked<W>(_ open: () throws -> W) throws -> W? {
        do {
            return try open()
        } catch let error as AlmanacError where error.code == .conflict {
            return nil
        }
    }

    /// Moves `fresh` over `path`, keeping nothing of the old one.
    private static func swap(_ fresh: String, into path: String) throws {
        let fm = FileManager.default
        let old = path + ".old"
        try? fm.removeItem(atPath: old)
        if fm.fileExists(atPath: path) { try fm.moveItem(atPath: path, toPath: old) }
        try fm.moveItem(atPath: fresh, toPath: path)
        try? fm.removeItem(atPath: old)
    }
}
