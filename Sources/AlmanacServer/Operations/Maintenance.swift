import AlmanacCore
import AlmanacIndex
import AlmanacStore
import Foundation
import Logging

/// Operator commands that work on a data directory directly: catch-up indexing, rebuilds,
/// consistency checks and backups.
public enum Maintenance {
    /// Applies every committed product change to the index. Answers false when the index is
    /// locked by a running server (whose own indexer will apply them).
    public static func catchUpProducts(_ configuration: AlmanacConfiguration, store: Store) throws -> Bool {
        let tenants = TenantState()
        try tenants.load(from: store)
        try FileManager.default.createDirectory(atPath: configuration.dataDirectory + "/index", withIntermediateDirectories: true)
        let writer: ProductIndexWriter
        do {
            writer = try ProductIndexWriter(
                path: configuration.productIndexPath,
                slots: SlotRegistry(path: configuration.dataDirectory + "/index/products.slots.json"),
                vocabulary: TypoVocabulary(rebuildThreshold: .max))
        } catch let error as XapianError where error.code == .databaseLocked {
            return false
        }
        while true {
            let batch = try store.productChanges(after: writer.lastSeq, limit: 5000)
            if batch.changes.isEmpty {
                if batch.watermark > writer.lastSeq { try writer.apply([], watermark: batch.watermark, settings: tenants.settings) }
                break
            }
            try writer.apply(
                batch.changes.map { ProductIndexChange(tenant: $0.tenant, id: $0.id, json: $0.body) },
                watermark: batch.watermark, settings: tenants.settings)
        }
        try writer.close()
        return true
    }

    /// Catch-up for every index after an offline import; false if a server holds the locks.
    public static func catchUp(_ configuration: AlmanacConfiguration, store: Store, logger: Logger) throws -> Bool {
        let products = try catchUpProducts(configuration, store: store)
        let events = try EventMaintenance.catchUp(configuration, store: store, logger: logger)
        return products && events
    }

    public static func reindexEvents(_ configuration: AlmanacConfiguration, store: Store, logger: Logger) throws {
        try EventMaintenance.reindex(configuration, store: store, logger: logger)
    }

    /// Rebuilds the product index from the store into a new directory and swaps it in.
    /// Needs the server stopped (the index's write lock tells).
    public static func reindexProducts(_ configuration: AlmanacConfiguration, store: Store, logger: Logger) throws -> Int {
        let path = configuration.productIndexPath
        let fm = FileManager.default
        if fm.fileExists(atPath: path) {
            do {
                let probe = try XapianWritableDatabase(path: path)
                try probe.close()
            } catch let error as XapianError where error.code == .databaseLocked {
                throw AlmanacError(.conflict, "the product index is in use: stop `almanac serve` first")
            }
        }
        let fresh = path + ".new"
        let slotsPath = configuration.dataDirectory + "/index/products.slots.json"
        try? fm.removeItem(atPath: fresh)
        try? fm.removeItem(atPath: slotsPath + ".new")
        let tenants = TenantState()
        try tenants.load(from: store)
        let writer = try ProductIndexWriter(
            path: fresh, slots: SlotRegistry(path: slotsPath + ".new"), vocabulary: TypoVocabulary(rebuildThreshold: .max),
            durable: false, overwrite: true)
        var count = 0
        let head = try store.forEachProduct { chunk in
            try writer.addNew(
                chunk.map { ProductIndexChange(tenant: $0.tenant, id: $0.id, json: $0.body) }, settings: tenants.settings)
            count += chunk.count
        }
        try writer.commit(watermark: head)
        try writer.close()
        let old = path + ".old"
        try? fm.removeItem(atPath: old)
        if fm.fileExists(atPath: path) { try fm.moveItem(atPath: path, toPath: old) }
        try fm.moveItem(atPath: fresh, toPath: path)
        if fm.fileExists(atPath: slotsPath + ".new") {
            try? fm.removeItem(atPath: slotsPath)
            try fm.moveItem(atPath: slotsPath + ".new", toPath: slotsPath)
        }
        try? fm.removeItem(atPath: old)
        logger.info("rebuilt the product index: \(count) products, last_seq \(head)")
        return count
    }

    /// Compares store and index: per-tenant product counts and the indexed seq.
    public static func check(_ configuration: AlmanacConfiguration, store: Store) throws -> [String] {
        var problems: [String] = []
        let counts = try store.counts()
        let db = try XapianDatabase(path: configuration.productIndexPath)
        let lastSeq = Int64(String(decoding: try db.metadata(ProductIndexWriter.lastSeqKey), as: UTF8.self)) ?? 0
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
        problems.append(contentsOf: try EventMaintenance.check(configuration, store: store, counts: counts.events))
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
        let copiedStore = try Store(path: copy.storePath)
        try fm.createDirectory(atPath: directory + "/index", withIntermediateDirectories: true)
        _ = try reindexProducts(copy, store: copiedStore, logger: logger)
        try EventMaintenance.reindex(copy, store: copiedStore, logger: logger)
        try copiedStore.close()
    }
}
