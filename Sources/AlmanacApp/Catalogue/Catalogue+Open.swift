import AlmanacCache
import AlmanacIndex
import AlmanacStore
import Logging
import NIOPosix

extension Catalogue {
    /// Opens the product index's shards (resuming from their smallest `last_seq`), seeds typo tolerance from its
    /// vocabulary and prepares the indexer.
    static func open(
        _ configuration: AlmanacConfiguration, store: Store, tenants: TenantState, cache: QueryCache,
        executors: Executors, signals: ChangeSignals, logger: Logger
    ) async throws -> Catalogue {
        let slots = SlotRegistry(path: configuration.productSlotsPath)
        let vocabulary = TypoVocabulary()
        let box = try await executors.batch.runIfActive { () -> ProjectionBox<CatalogueProjection> in
            let writer = try ProductIndexShards(
                directory: configuration.productIndexPath, shards: configuration.index.productShards, slots: slots,
                vocabulary: vocabulary)
            try writer.commit(watermark: writer.lastSeq)
            // With their document frequencies: typo candidates are chosen by (distance, frequency).
            vocabulary.add(counts: try writer.vocabularyEntries())
            vocabulary.addNames(try writer.nameTerms())
            vocabulary.rebuild()
            return ProjectionBox(CatalogueProjection(writer: writer, store: store, settings: { tenants.settings($0) }))
        }
        let readers = ReaderPool(paths: box.projection.writer.paths, capacity: configuration.index.readers, threadPool: executors.reads)
        tenants.setBaseGeneration(.products, box.projection.lastSeq)
        let indexer = ProjectionService(
            name: "product", driver: ProjectionDriver(
                box.projection, batchSize: configuration.index.batchSize, pruneInterval: configuration.index.pruneInterval),
            threadPool: executors.batch, pollInterval: configuration.index.pollInterval, logger: logger,
            health: (store.health, .productIndex)
        ) { touched, seq in
            readers.publish()
            tenants.touch(.products, tenants: touched, generation: seq)
        }
        let context = CollectionContext(
            collection: .products, tenants: tenants, cache: cache, cacheTTL: configuration.cacheTTLSeconds,
            minSeqWait: configuration.limits.minSeqWait, watermark: indexer.watermark, epoch: CacheEpoch(),
            changesCommitted: { signals.notify() })
        let analytics = SearchAnalytics(store: store, configuration: configuration.analytics, logger: logger) { signals.notify() }
        return Catalogue(
            store: store, searcher: ProductSearcher(readers: readers, vocabulary: vocabulary, slots: slots), indexer: indexer,
            context: context, limits: configuration.limits, analytics: analytics)
    }
}

/// Carries a projection opened on a thread-pool thread back to the task that starts its
/// service. `@unchecked Sendable`: the projection is handed over once, before any other
/// thread can reach it, and from then on only its `ProjectionService` touches it.
struct ProjectionBox<P: Projection>: @unchecked Sendable {
    let projection: P
    init(_ projection: P) { self.projection = projection }
}
