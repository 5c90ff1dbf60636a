import AlmanacCore
import AlmanacIndex
import AlmanacStore
import Foundation
import Logging

/// Timeline parts of the maintenance commands: catch-up after an offline import, rebuilds
/// and consistency checks of the month indexes.
enum EventMaintenance {
    static func slotsPath(_ directory: String) -> String { directory + "/slots.json" }

    /// Applies every stored event the month indexes lack. Answers false when a running
    /// server holds the index (its own indexer applies them).
    static func catchUp(_ configuration: AlmanacConfiguration, store: Store, logger: Logger) throws -> Bool {
        let directory = configuration.eventIndexDirectory
        let writer: EventIndexWriter
        do {
            writer = try EventIndexWriter(directory: directory, slots: SlotRegistry(path: slotsPath(directory)), columns: nil, logger: logger)
        } catch let error as AlmanacError where error.code == .conflict {
            return false
        }
        let tenants = TenantState()
        try tenants.load(from: store)
        let retainFrom = EventRetention.firstKeptMonth(days: configuration.events.retentionDays, now: .now())
        while true {
            let batch = try store.eventChanges(after: writer.lastSeq, limit: 20_000)
            if batch.changes.isEmpty {
                writer.skip(to: batch.watermark)
                try writer.persist(writer.lastSeq)
                break
            }
            try writer.apply(
                batch.changes.map { EventIndexChange(seq: $0.seq, tenant: $0.tenant, body: $0.body) }, watermark: batch.watermark,
                retainFrom: retainFrom, language: { tenants.settings($0).language })
        }
        try writer.close()
        return true
    }

    /// Rebuilds every month database from the store into a new directory and swaps it in.
    /// Needs the server stopped (the index's lock tells).
    static func reindex(_ configuration: AlmanacConfiguration, store: Store, logger: Logger) throws {
        let directory = configuration.eventIndexDirectory
        let fm = FileManager.default
        let probe: EventIndexWriter
        do {
            probe = try EventIndexWriter(directory: directory, slots: SlotRegistry(path: nil), columns: nil)
        } catch let error as AlmanacError where error.code == .conflict {
            throw AlmanacError(.conflict, "the event index is in use: stop `almanac serve` first")
        }
        let fresh = directory + ".new"
        try? fm.removeItem(atPath: fresh)
        let tenants = TenantState()
        try tenants.load(from: store)
        let retainFrom = EventRetention.firstKeptMonth(days: configuration.events.retentionDays, now: .now())
        let writer = try EventIndexWriter(
            directory: fresh, slots: SlotRegistry(path: slotsPath(fresh)), columns: nil, durable: false, maxOpenWriters: 64)
        var count = 0
        var pending: [EventIndexChange] = []
        let head = try store.headSeq()
        try store.forEachEvent(through: head, chunk: 20_000) { chunk in
            pending = chunk.map { EventIndexChange(seq: $0.seq, tenant: $0.tenant, body: $0.body) }
            count += try writer.apply(pending, watermark: chunk.last!.seq, retainFrom: retainFrom, language: { tenants.settings($0).language }).indexed
        }
        writer.skip(to: head)
        try writer.persist(head)
        try writer.close()
        try probe.close()
        let old = directory + ".old"
        try? fm.removeItem(atPath: old)
        if fm.fileExists(atPath: directory) { try fm.moveItem(atPath: directory, toPath: old) }
        try fm.moveItem(atPath: fresh, toPath: directory)
        try? fm.removeItem(atPath: old)
        logger.info("rebuilt the event index: \(count) events, last_seq \(head)")
    }

    /// Compares store and index: per-tenant event counts (of the months retention keeps)
    /// and whether the index has applied everything stored.
    static func check(_ configuration: AlmanacConfiguration, store: Store, counts: [String: Int]) throws -> [String] {
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
}
