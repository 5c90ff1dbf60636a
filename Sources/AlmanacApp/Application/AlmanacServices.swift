public import AlmanacAuth
public import AlmanacCache
public import AlmanacCore
import AlmanacIndex
public import AlmanacStore
import Foundation
public import Logging
public import NIOPosix
public import ServiceLifecycle
import Synchronization

/// A running Almanac: the catalogue and the timeline (two peers of one shape), auth, and
/// the background services that keep the indexes in step. Built once by `open`; the HTTP
/// edge holds it and calls one method per request.
public final class AlmanacServices: Sendable {
    public let configuration: AlmanacConfiguration
    public let logger: Logger
    public let catalogue: Catalogue
    public let timeline: Timeline
    /// Tokens, clients (`tokens.clients`) and signing keys.
    public let tokens: TokenService
    /// The canonical store (readiness, and tests that look beneath the API).
    public let store: Store
    let tenants: TenantState
    let cache: QueryCache
    let executors: Executors

    /// Opens the data directory (creating it), runs migrations, opens the indexes and
    /// resumes their indexers from their stored `last_seq`; reports each phase to `progress`
    /// (what `/ready` says while a node starts, `ServicesStartup`).
    ///
    /// - Parameter threadPool: one started pool for every kind of blocking work (tests);
    ///   by default each kind gets pools of its own (``Executors``), shut down on close.
    public static func open(
        _ configuration: AlmanacConfiguration, logger: Logger, threadPool: NIOThreadPool? = nil,
        progress: StartupProgress = StartupProgress()
    ) async throws -> AlmanacServices {
        try FileManager.default.createDirectory(atPath: configuration.dataDirectory + "/index", withIntermediateDirectories: true)
        let executors = threadPool.map(Executors.shared) ?? Executors.start(for: configuration)
        do {
            return try await open(configuration, logger: logger, executors: executors, progress: progress)
        } catch {
            // A failed start must not leave running pools behind (NIO asserts on that).
            await executors.shutdown()
            throw error
        }
    }

    private static func open(
        _ configuration: AlmanacConfiguration, logger: Logger, executors: Executors, progress: StartupProgress
    ) async throws -> AlmanacServices {
        progress.begin("store")
        let store = try await executors.batch.runIfActive {
            try Store(path: configuration.storePath, options: configuration.storeOptions, logger: logger)
        }
        let tenants = TenantState()
        if let languages = try? XapianStemmer.availableLanguages() { SearchLanguages.set(languages) }
        try tenants.load(from: store)
        let cache = try await openCache(configuration, threadPool: executors.cacheIO, logger: logger)
        let signals = ChangeSignals()
        progress.begin("product index")
        let catalogue = try await Catalogue.open(
            configuration, store: store, tenants: tenants, cache: cache, executors: executors, signals: signals, logger: logger)
        let timeline = try await Timeline.open(
            configuration, store: store, tenants: tenants, cache: cache, executors: executors, signals: signals, logger: logger,
            progress: progress)
        signals.set([catalogue.indexer.signal, timeline.indexer.signal])

        progress.begin("auth keys")
        let masterKey = try MasterKey.resolve(
            explicitPath: configuration.masterKeyFile, dataDirectory: configuration.dataDirectory, logger: logger)
        let tokens = TokenService(
            store: store, keyring: Keyring(store: store, masterKey: masterKey), configuration: configuration.auth.tokenService,
            blocking: BlockingWork(executors.batch), logger: logger)
        try await tokens.start()

        return AlmanacServices(
            configuration: configuration, logger: logger, catalogue: catalogue, timeline: timeline, tokens: tokens, store: store,
            tenants: tenants, cache: cache, executors: executors)
    }

    private static func openCache(_ configuration: AlmanacConfiguration, threadPool: NIOThreadPool, logger: Logger) async throws -> QueryCache {
        guard let url = configuration.redisURL else {
            logger.notice("running without a cache (--no-cache)")
            return .disabled
        }
        let redis = RedisPool(
            configuration: .init(url: try RedisURL(url), maxConnections: configuration.cacheConnections), threadPool: threadPool,
            logger: logger)
        if await redis.ping() == false {
            logger.warning("Redis at \(url) is unreachable: running uncached until it answers")
        }
        return QueryCache(pool: redis, nearBytes: configuration.nearCacheBytes, logger: logger)
    }

    init(
        configuration: AlmanacConfiguration, logger: Logger, catalogue: Catalogue, timeline: Timeline, tokens: TokenService,
        store: Store, tenants: TenantState, cache: QueryCache, executors: Executors
    ) {
        self.configuration = configuration
        self.logger = logger
        self.catalogue = catalogue
        self.timeline = timeline
        self.tokens = tokens
        self.store = store
        self.tenants = tenants
        self.cache = cache
        self.executors = executors
    }

    /// The background services, for the application's service group.
    /// Graceful shutdown runs in reverse order: the HTTP server drains first, then the
    /// indexers finish their batch, then handles close.
    /// The analytics recorder comes last, so it stops first: after the server drained, its
    /// last roll-ups are written while the store is open and the indexers still run.
    public var backgroundServices: [any Service] {
        [ShutdownService(services: self), catalogue.indexer, timeline.indexer, catalogue.analytics]
    }

    /// Whether the shared cache answers (nil: none configured).
    public var cacheStatus: RedisPool.Status? { cache.status }

    // MARK: Settings

    public func settings(tenant: String) -> SearchSettings { tenants.settings(tenant) }

    /// Stores a tenant's settings. Stemming happens at index time, so a new language
    /// re-projects the tenant's products; synonyms, stop words and typo rules apply at
    /// query time, at once. Answers the settings and the write's seq.
    public func putSettings(_ body: JSONValue, caller: WriteContext) async throws -> (settings: SearchSettings, seq: Int64) {
        let settings = try SearchSettings(json: body, languages: SearchLanguages.all)
        let reindex = tenants.settings(caller.tenant).language != settings.language
        let record = try await store.putSettings(
            tenant: caller.tenant, body: JSONWriter.string(settings.json), reindex: reindex, actor: caller.actor)
        tenants.setSettings(caller.tenant, settings, generation: record.generation)
        catalogue.context.changesCommitted()
        return (settings, record.seq)
    }

    /// Closes handles after the server stopped (called by `ShutdownService`).
    func close() async {
        catalogue.searcher.readers.close()
        timeline.readers.close()
        cache.pool?.close()
        try? store.close()
        await executors.shutdown()
    }
}

extension BlockingWork {
    /// CPU-heavy auth work (scrypt) on `pool`'s threads, off the event loops and the
    /// cooperative pool.
    init(_ pool: NIOThreadPool) {
        self.init { work in pool.submit { _ in work() } }
    }
}

/// Wakes every indexer after a commit: a product write also appends a timeline event.
final class ChangeSignals: Sendable {
    private let signals = Mutex<[WakeSignal]>([])
    func set(_ all: [WakeSignal]) { signals.withLock { $0 = all } }
    func notify() { for signal in signals.withLock({ $0 }) { signal.notify() } }
}

/// Closes the store, readers and Redis once everything else in the service group ended.
struct ShutdownService: Service {
    let services: AlmanacServices
    func run() async throws {
        try? await gracefulShutdown()
        await services.close()
    }
}
