import AlmanacCache
import AlmanacIndex
import AlmanacStore
import Foundation
import Logging
import NIOPosix
import AlmanacCore

extension Timeline {
    /// Opens the month indexes (resuming from their `last_seq`), applies retention, loads
    /// the resident columns from the store and prepares the indexer.
    static func open(
        _ configuration: AlmanacConfiguration, store: Store, tenants: TenantState, cache: QueryCache,
        executors: Executors, signals: ChangeSignals, logger: Logger
    ) async throws -> Timeline {
        let directory = configuration.eventIndexDirectory
        let columns = EventColumnStore()
        let slots = SlotRegistry(path: configuration.eventSlotsPath)
        let retentionDays = configuration.events.retentionDays
        let box = try await executors.batch.runIfActive { () -> ProjectionBox<TimelineProjection> in
            let writer = try EventIndexWriter(directory: directory, slots: slots, columns: columns, logger: logger)
            return ProjectionBox(TimelineProjection(
                writer: writer, store: store, retentionDays: retentionDays, language: { tenants.settings($0).language }))
        }
        let readers = EventReaders(directory: directory, capacity: configuration.index.readers, threadPool: executors.reads)
        let epoch = CacheEpoch()
        // The timeline takes bigger batches: an event is cheaper to index than a product.
        let driver = ProjectionDriver(box.projection, batchSize: max(configuration.index.batchSize, 10_000))
        let retention = TimelineRetention(
            days: retentionDays, store: store, readers: readers, columns: columns, epoch: epoch, logger: logger)
        let indexer = ProjectionService(
            name: "event", driver: driver, threadPool: executors.batch, pollInterval: configuration.index.pollInterval, logger: logger,
            periodic: retentionDays > 0
                ? .init(interval: .seconds(3600)) { _ = try await retention.enforce(on: $0, now: .now()) } : nil,
            health: (store.health, .eventIndex)
        ) { outcome, seq in
            if !outcome.newMonths.isEmpty { readers.register(outcome.newMonths) }
            readers.publish(outcome.months)
            if !outcome.tenants.isEmpty { tenants.touch(.events, tenants: outcome.tenants, generation: seq) }
        }
        let context = CollectionContext(
            collection: .events, tenants: tenants, cache: cache, cacheTTL: configuration.cacheTTLSeconds,
            minSeqWait: configuration.limits.minSeqWait, watermark: indexer.watermark, epoch: epoch,
            changesCommitted: { signals.notify() })
        let timeline = Timeline(
            store: store, searcher: EventSearcher(readers: readers, columns: columns, slots: slots, batch: executors.batch), readers: readers,
            columns: columns, indexer: indexer, context: context, limits: configuration.limits, retention: retention)
        // Retention first, so expired months are neither loaded nor searchable.
        try await timeline.enforceRetention()
        let (months, through) = try await indexer.withProjection { ($0.writer.months, $0.writer.columnsThrough) }
        readers.register(months)
        let started = Date()
        let retainFrom = EventRetention.firstKeptMonth(days: retentionDays, now: .now())
        let loaded = try await executors.batch.runIfActive {
            try EventColumnLoader.load(store: store, into: columns, through: through, retainFrom: retainFrom)
        }
        if loaded > 0 {
            logger.info("timeline columns loaded", metadata: [
                "events": "\(loaded)", "seconds": "\(String(format: "%.2f", Date().timeIntervalSince(started)))",
            ])
        }
        tenants.setBaseGeneration(.events, box.projection.lastSeq)
        return timeline
    }
}
