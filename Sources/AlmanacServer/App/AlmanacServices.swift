import AlmanacAuth
import AlmanacCache
import AlmanacCore
import AlmanacIndex
import AlmanacStore
import Foundation
import Logging
import NIOPosix
import ServiceLifecycle

/// Everything a running Almanac holds: store, indexes, cache, auth, and the background
/// services that keep them in step. Built once by `open`, shared by every route.
public final class AlmanacServices: Sendable {
    public let configuration: AlmanacConfiguration
    public let logger: Logger
    public let threadPool: NIOThreadPool
    public let store: Store
    public let tenants: TenantState
    public let cache: QueryCache
    public let tokens: TokenService
    public let clients: ClientRegistry
    public let metrics: AppMetrics

    // Catalogue
    public let productSearcher: ProductSearcher
    public let productWatermark: Watermark
    public let productIndexer: ProductIndexerService
    public let indexSignal: WakeSignal
    // Timeline
    public let events: EventComponents
    /// What the timeline index has applied.
    public var eventWatermark: Watermark { events.watermark }
    let ownsThreadPool: Bool

    /// Opens the data directory (creating it), runs migrations, opens the indexes and
    /// resumes their indexers from their stored `last_seq`.
    public static func open(
        _ configuration: AlmanacConfiguration, logger: Logger, threadPool: NIOThreadPool? = nil
    ) async throws -> AlmanacServices {
        let fm = FileManager.default
        try fm.createDirectory(atPath: configuration.dataDirectory + "/index", withIntermediateDirectories: true)
        let pool: NIOThreadPool
        if let threadPool {
            pool = threadPool
        } else {
            pool = NIOThreadPool(numberOfThreads: max(4, ProcessInfo.processInfo.activeProcessorCount * 2))
            pool.start()
        }
        do {
            return try await open(configuration, logger: logger, pool: pool, ownsPool: threadPool == nil)
        } catch {
            // A failed start must not leave a running pool behind (NIO asserts on that).
            if threadPool == nil { try? await pool.shutdownGracefully() }
            throw error
        }
    }

    private static func open(
        _ configuration: AlmanacConfiguration, logger: Logger, pool: NIOThreadPool, ownsPool: Bool
    ) async throws -> AlmanacServices {
        let store = try await pool.runIfActive { try Store(path: configuration.storePath, options: configuration.storeOptions, logger: logger) }
        let tenants = TenantState()
        if let languages = try? XapianStemmer.availableLanguages() { SearchLanguages.set(languages) }
        try tenants.load(from: store)

        // Catalogue index.
        let slots = SlotRegistry(path: configuration.dataDirectory + "/index/products.slots.json")
        let vocabulary = TypoVocabulary()
        let writerBox = try await pool.runIfActive { () -> ProductIndexerService.WriterBox in
            let writer = try ProductIndexWriter(path: configuration.productIndexPath, slots: slots, vocabulary: vocabulary)
            try writer.commit(watermark: writer.lastSeq)
            vocabulary.add(try writer.vocabularyEntries().map(\.0))
            vocabulary.rebuild()
            return ProductIndexerService.WriterBox(writer)
        }
        let readers = ReaderPool(paths: [configuration.productIndexPath], capacity: configuration.index.readers, threadPool: pool)
        let productWatermark = Watermark(writerBox.writer.lastSeq)
        tenants.setBaseGeneration("products", writerBox.writer.lastSeq)
        let signal = WakeSignal()
        let indexer = ProductIndexerService(
            writer: writerBox.writer, store: store, readers: readers, watermark: productWatermark, tenants: tenants,
            signal: signal, threadPool: pool, batchSize: configuration.index.batchSize,
            pollInterval: configuration.index.pollInterval, logger: logger)

        // Timeline indexes.
        let events = try await EventComponents.open(configuration, threadPool: pool, store: store, tenants: tenants, logger: logger)

        // Cache.
        var cache = QueryCache.disabled
        if let url = configuration.redisURL {
            let redisURL = try RedisURL(url)
            let redis = RedisPool(configuration: .init(url: redisURL), threadPool: pool, logger: logger)
            cache = QueryCache(pool: redis, logger: logger)
            if await redis.ping() == false {
                logger.warning("Redis at \(url) is unreachable: running uncached until it answers")
            }
        } else {
            logger.notice("running without a cache (--no-cache)")
        }

        // Auth.
        let masterKey = try MasterKey.resolve(
            explicitPath: configuration.masterKeyFile, dataDirectory: configuration.dataDirectory, logger: logger)
        let keyring = Keyring(store: store, masterKey: masterKey)
        let tokens = TokenService(
            store: store, keyring: keyring, configuration: configuration.auth.tokenService, blocking: BlockingWork(pool),
            logger: logger)
        try await tokens.start()

        return AlmanacServices(
            configuration: configuration, logger: logger, threadPool: pool, ownsThreadPool: ownsPool,
            store: store, tenants: tenants, cache: cache, tokens: tokens, clients: tokens.clients,
            productSearcher: ProductSearcher(readers: readers, vocabulary: vocabulary, slots: slots),
            productWatermark: productWatermark, productIndexer: indexer, indexSignal: signal, events: events)
    }

    init(
        configuration: AlmanacConfiguration, logger: Logger, threadPool: NIOThreadPool, ownsThreadPool: Bool, store: Store,
        tenants: TenantState, cache: QueryCache, tokens: TokenService, clients: ClientRegistry,
        productSearcher: ProductSearcher, productWatermark: Watermark, productIndexer: ProductIndexerService,
        indexSignal: WakeSignal, events: EventComponents
    ) {
        self.configuration = configuration
        self.logger = logger
        self.threadPool = threadPool
        self.ownsThreadPool = ownsThreadPool
        self.store = store
        self.tenants = tenants
        self.cache = cache
        self.tokens = tokens
        self.clients = clients
        self.productSearcher = productSearcher
        self.productWatermark = productWatermark
        self.productIndexer = productIndexer
        self.indexSignal = indexSignal
        self.events = events
        self.metrics = AppMetrics()
    }

    /// The background services, for the application's service group.
    /// Graceful shutdown runs in reverse order: the HTTP server drains first, then the
    /// indexer finishes its batch, then handles close.
    public var backgroundServices: [any Service] { [ShutdownService(services: self), productIndexer, events.indexer] }

    /// Tells indexers new changes are committed.
    public func changesCommitted() {
        indexSignal.notify()
        events.signal.notify()
    }

    /// Closes handles after the server stopped (called by `ShutdownService`).
    func close() async {
        productSearcher.readers.close()
        events.close()
        cache.pool?.close()
        try? store.close()
        if ownsThreadPool { try? await threadPool.shutdownGracefully() }
    }
}

/// Closes the store, readers and Redis once everything else in the service group ended.
struct ShutdownService: Service {
    let services: AlmanacServices
    func run() async throws {
        try? await gracefulShutdown()
        services.indexSignal.close()
        await services.close()
    }
}
