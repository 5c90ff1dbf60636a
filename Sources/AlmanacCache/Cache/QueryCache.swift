public import Logging
import Synchronization

/// The hot-query cache, two levels keyed alike by ``CacheKey``: a ``NearCache`` of rendered
/// answers inside the process, then Redis (shared by every node), each with a TTL; and
/// single-flight per key inside the process. A near hit never leaves the calling thread;
/// a Redis hit or a computed answer is kept near for the next one.
///
/// Redis is optional and never fails a request: without a pool (``disabled``), or while
/// Redis is down or failing, ``fetch(key:ttl:compute:)`` computes and answers
/// ``CacheStatus/off``. Cache failures are logged at most once per circuit-breaker trip
/// (a warning), and once more when Redis answers again (info); they are never thrown.
public final class QueryCache: Sendable {
    /// For `--no-cache`: every fetch computes and answers `.off`.
    public static let disabled = QueryCache(pool: nil)

    /// The pool behind the cache; `nil` when disabled.
    public let pool: RedisPool?
    /// The first level; `nil` when disabled or configured to 0 bytes.
    public let near: NearCache?
    let logger: Logger
    let state = Mutex(State())
    private let failures = Atomic<Int>(0)
    let redisHits = Atomic<Int>(0)
    let redisMisses = Atomic<Int>(0)

    /// Lookups that reached Redis and found the key, for `/metrics`.
    public var redisHitCount: Int { redisHits.load(ordering: .relaxed) }
    /// Lookups that reached Redis and did not find the key.
    public var redisMissCount: Int { redisMisses.load(ordering: .relaxed) }

    /// Redis failures (lookups and stores that errored) since the start, for `/metrics`.
    public var errorCount: Int { failures.load(ordering: .relaxed) }

    /// - Parameter nearBytes: the near cache's budget (0: Redis only). Without a pool there
    ///   is no cache at all, near or shared (`--no-cache`).
    public init(pool: RedisPool?, nearBytes: Int = 0, logger: Logger = Logger(label: "almanac.cache")) {
        self.pool = pool
        near = pool != nil && nearBytes > 0 ? NearCache(capacityBytes: nearBytes) : nil
        self.logger = logger
    }

    /// `nil` when the cache is disabled, otherwise the pool's breaker status.
    public var status: RedisPool.Status? {
        pool?.status
    }

    /// The stored bytes, or `nil` on a miss, when disabled, or when Redis fails.
    public func lookup(key: String) async -> [UInt8]? {
        guard let pool else { return nil }
        do {
            let bytes = try await pool.get(key)
            noteSuccess()
            return bytes
        } catch {
            noteFailure(error)
            return nil
        }
    }

    /// Stores `bytes` under `key` for `ttl` seconds; failures are logged, not thrown.
    /// Does nothing when disabled or when `ttl` is not positive.
    public func store(key: String, bytes: [UInt8], ttl: Int) async {
        guard let pool, ttl > 0 else { return }
        do {
            try await pool.set(key, value: bytes, ttlSeconds: ttl)
            noteSuccess()
        } catch {
            noteFailure(error)
        }
    }

    /// The cached bytes for `key`, or the result of `compute`, stored for `ttl` seconds.
    ///
    /// While one call for a key is looking up or computing, other calls for the same key
    /// wait for it and share its bytes and status (single-flight); an error thrown by
    /// `compute` is shared the same way. If the computing task is cancelled, a waiting call
    /// takes over. Only errors of `compute` (or the caller's own cancellation) are thrown.
    ///
    /// - Returns: `.hit` with the stored bytes unchanged, `.miss` after computing and
    ///   storing, `.off` after computing without Redis (disabled, down or failing). A near
    ///   hit is a `.hit` too: the bytes are the ones Redis holds or held under that key.
    public func fetch(
        key: String,
        ttl: Int,
        compute: @Sendable () async throws -> [UInt8]
    ) async throws -> (bytes: [UInt8], status: CacheStatus) {
        guard let pool else { return (try await compute(), .off) }
        if let near, let bytes = near.get(key) { return (bytes, .hit) }
        while true {
            switch state.withLock({ $0.join(key) }) {
            case .lead:
                return try await lead(key: key, ttl: ttl, pool: pool, compute: compute)
            case .done(let bytes, let status):
                return (bytes, status)
            case .follow:
                switch try await follow(key: key) {
                case .value(let bytes, let status): return (bytes, status)
                case .failed(let error): throw error
                case .abandoned: continue
                }
            }
        }
    }

    // MARK: - Logging cache health

    func noteSuccess() {
        let recovered = state.withLock { state in
            defer { state.degraded = false }
            return state.degraded
        }
        if recovered { logger.info("Redis cache available again") }
    }

    func noteFailure(_ error: any Error) {
        guard let pool, !(error is CancellationError) else { return }
        failures.wrappingAdd(1, ordering: .relaxed)
        let trip = pool.breakerTrips
        let shouldLog = state.withLock { state in
            guard state.loggedTrip != trip else { return false }
            state.loggedTrip = trip
            state.degraded = true
            return true
        }
        if shouldLog {
            logger.warning("Redis cache unavailable, serving uncached", metadata: [
                "error": "\(error)", "redis": "\(pool.configuration.url)",
            ])
        }
    }
}
