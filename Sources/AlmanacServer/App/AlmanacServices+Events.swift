import AlmanacCore
import AlmanacIndex
import AlmanacStore
import Foundation
import Logging
import NIOPosix
import Synchronization

/// The timeline's parts of a running Almanac: the month indexes and their readers, the
/// resident columns, the indexer and its watermark.
public struct EventComponents: Sendable {
    public let searcher: EventSearcher
    public let readers: EventReaders
    public let columns: EventColumnStore
    public let watermark: Watermark
    public let indexer: EventIndexerService
    public let signal: WakeSignal
    /// Bumped when retention drops months: part of every cache key, so answers that
    /// counted dropped events become unreachable.
    public let epoch: EventCacheEpoch

    /// Opens the month indexes (resuming from their `last_seq`), applies retention, loads
    /// the columns from the store and prepares the indexer.
    static func open(
        _ configuration: AlmanacConfiguration, threadPool: NIOThreadPool, store: Store, tenants: TenantState, logger: Logger
    ) async throws -> EventComponents {
        let directory = configuration.eventIndexDirectory
        let columns = EventColumnStore()
        let slots = SlotRegistry(path: directory + "/slots.json")
        let retentionDays = configuration.events.retentionDays
        let box = try await threadPool.runIfActive { () -> EventIndexerService.WriterBox in
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let writer = try EventIndexWriter(directory: directory, slots: slots, columns: columns, logger: logger)
            return EventIndexerService.WriterBox(writer)
        }
        let readers = EventReaders(directory: directory, capacity: configuration.index.readers, threadPool: threadPool)
        let watermark = Watermark(box.writer.lastSeq)
        let signal = WakeSignal()
        let epoch = EventCacheEpoch()
        let indexer = EventIndexerService(
            box: box, epoch: epoch, store: store, readers: readers, columns: columns, watermark: watermark, tenants: tenants, signal: signal,
            threadPool: threadPool, batchSize: max(configuration.index.batchSize, 10_000), pollInterval: configuration.index.pollInterval,
            retentionDays: retentionDays, logger: logger)
        let components = EventComponents(
            searcher: EventSearcher(readers: readers, columns: columns, slots: slots), readers: readers, columns: columns,
            watermark: watermark, indexer: indexer, signal: signal, epoch: epoch)
        // Retention first, so expired months are neither loaded nor searchable.
        _ = try await indexer.enforceRetention()
        readers.register(box.writer.months)
        let started = Date()
        let through = box.writer.columnsThrough
        let retainFrom = EventRetention.firstKeptMonth(days: retentionDays, now: .now())
        let loaded = try await threadPool.runIfActive { try EventColumnLoader.load(store: store, into: columns, through: through, retainFrom: retainFrom) }
        if loaded > 0 {
            logger.info("timeline columns loaded", metadata: [
                "events": "\(loaded)", "seconds": "\(String(format: "%.2f", Date().timeIntervalSince(started)))",
            ])
        }
        tenants.setBaseGeneration("events", box.writer.lastSeq)
        return components
    }

    func close() {
        readers.close()
    }
}

/// A counter in every timeline cache key, bumped when retention drops months: answers
/// that counted dropped events become unreachable (new writes already change the
/// generation; a drop changes no seq).
public final class EventCacheEpoch: Sendable {
    private let value = Atomic<Int>(0)
    public init() {}
    public var current: Int { value.load(ordering: .relaxed) }
    func bump() { value.wrappingAdd(1, ordering: .relaxed) }
}

/// Retention in whole UTC months.
public enum EventRetention {
    /// The first month kept when events older than `days` expire (nil: keep everything).
    /// A month expires only when all of it lies before the cutoff.
    public static func firstKeptMonth(days: Int, now: Timestamp) -> EventMonth? {
        guard days > 0 else { return nil }
        return EventMonth(containing: now.microseconds - Int64(days) * 86_400_000_000)
    }
}

/// Fills the resident columns from the store at start-up.
enum EventColumnLoader {
    /// Loads every event with seq <= `through` (what the index has applied), skipping
    /// expired months; answers how many.
    static func load(store: Store, into columns: EventColumnStore, through: Int64, retainFrom: EventMonth?) throws -> Int {
        var count = 0
        try store.forEachEvent(through: through, occurredFrom: retainFrom?.start, chunk: 20_000) { chunk in
            count += columns.append(storedBodies: chunk.map { ($0.tenant, $0.body) }, retainFrom: retainFrom)
        }
        return count
    }
}

extension AlmanacServices {
    /// Adds the timeline index's state to `/ready`: what it has applied, its lag, and the
    /// oldest month kept.
    func eventReadiness(into indexes: inout JSONObject, head: Int64) {
        let seq = eventWatermark.value
        let months = events.readers.allMonths
        indexes["events"] = [
            "indexed_seq": .int(seq), "lag": .int(max(0, head - seq)),
            "oldest_month": months.first.map { .string($0.name) } ?? .null,
            "months": .int(Int64(months.count)),
            "retention_days": .int(Int64(configuration.events.retentionDays)),
            "columns_events": .int(Int64(events.columns.rowCount)),
        ]
    }
}
