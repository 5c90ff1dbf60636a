import AlmanacCache
import AlmanacIndex
import AlmanacStore
import Foundation
import Logging
import NIOPosix
import AlmanacCore

extension Timeline {
    /// Opens the month indexes (resuming from their `last_seq`), applies retention, loads
    /// the resident columns (from the month column files, the store for months without a
    /// usable one) and prepares the indexer.
    static func open(
        _ configuration: AlmanacConfiguration, store: Store, tenants: TenantState, cache: QueryCache,
        executors: Executors, signals: ChangeSignals, logger: Logger, progress: StartupProgress? = nil
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
        // Retention first, so expired months are neither loaded nor searchable.
        try await retention.enforce(on: indexer, now: .now())
        let months = try await indexer.withProjection { $0.writer.months }
        readers.register(months)
        let started = Date()
        let retainFrom = EventRetention.firstKeptMonth(days: retentionDays, now: .now())
        let report = try await indexer.withProjection { projection in
            try EventColumnLoader.load(
                writer: projection.writer, store: store, into: columns, retainFrom: retainFrom, logger: logger,
                progress: progress)
        }
        if report.months > 0 {
            logger.info("timeline columns loaded", metadata: [
                "months": "\(report.months)", "from_files": "\(report.fromFiles)", "topped_up": "\(report.toppedUp)",
                "rebuilt": "\(report.rebuilt)", "events": "\(report.fileEvents + report.storeEvents)",
                "events_from_store": "\(report.storeEvents)",
                "seconds": "\(String(format: "%.2f", Date().timeIntervalSince(started)))",
            ])
        }
        tenants.setBaseGeneration(.events, box.projection.lastSeq)
        return Timeline(
            store: store, searcher: EventSearcher(readers: readers, columns: columns, slots: slots, batch: executors.batch), readers: readers,
            columns: columns, indexer: indexer, context: context, limits: configuration.limits, retention: retention,
            columnLoad: report)
    }
}
