import AlmanacCore
public import AlmanacIndex
public import AlmanacStore
public import Logging
public import NIOPosix
public import ServiceLifecycle

/// Runs one `ProjectionDriver` as a background service: the only writer of its index.
/// Wakes on every committed write (and on a timer), applies a batch on the blocking thread
/// pool, tells `published` what changed (readers reopen, tenants' cache generations move),
/// then advances the watermark that `min_seq` and `?wait=true` wait on. Every use of the
/// writer — the loop, `catchUp`, `withProjection` (retention) — goes through one gate.
/// On graceful shutdown it finishes the batch in hand, persists and closes.
public final class ProjectionService<P: Projection>: Service, Sendable {
    /// `@unchecked Sendable`: the driver (and the writer it owns) is only touched inside
    /// `gate.run { threadPool.runIfActive { ... } }`, so by one thread at a time, in order.
    final class Box: @unchecked Sendable {
        let driver: ProjectionDriver<P>
        init(_ driver: ProjectionDriver<P>) { self.driver = driver }
    }

    /// Something the loop does every `interval` besides indexing (retention).
    public struct Periodic: Sendable {
        public var interval: Duration
        public var body: @Sendable (ProjectionService<P>) async throws -> Void
        public init(interval: Duration, body: @escaping @Sendable (ProjectionService<P>) async throws -> Void) {
            self.interval = interval
            self.body = body
        }
    }

    public let name: String
    public let watermark: Watermark
    public let signal: WakeSignal
    private let box: Box
    private let gate = AsyncGate()
    private let threadPool: NIOThreadPool
    private let pollInterval: Duration
    private let published: @Sendable (_ outcome: P.Outcome, _ seq: Int64) -> Void
    private let periodic: Periodic?
    /// Where a failed batch's storage fault (a full disk) is reported, and as what.
    private let health: (StorageHealth, StorageComponent)?
    private let logger: Logger

    public init(
        name: String, driver: ProjectionDriver<P>, threadPool: NIOThreadPool, pollInterval: Duration, logger: Logger,
        periodic: Periodic? = nil, health: (StorageHealth, StorageComponent)? = nil,
        published: @escaping @Sendable (_ outcome: P.Outcome, _ seq: Int64) -> Void
    ) {
        self.health = health
        self.name = name
        box = Box(driver)
        watermark = Watermark(driver.projection.lastSeq)
        signal = WakeSignal()
        self.threadPool = threadPool
        self.pollInterval = pollInterval
        self.published = published
        self.periodic = periodic
        self.logger = logger
    }

    public func run() async throws {
        var lastPeriodic = ContinuousClock.now
        await withGracefulShutdownHandler {
            while !signal.isClosed {
                do {
                    let more = try await applyOneBatch()
                    if let periodic, ContinuousClock.now - lastPeriodic >= periodic.interval {
                        lastPeriodic = ContinuousClock.now
                        try await periodic.body(self)
                    }
                    if !more { await signal.wait(timeout: pollInterval) }
                } catch {
                    // A storage fault is logged once by the health record (and clears itself
                    // once the indexer gets further); anything else is logged every retry.
                    let watermark = watermark
                    if health.map({ $0.0.report($0.1, error, progress: { watermark.value }) }) != true {
                        logger.error("\(name) indexing failed; retrying", metadata: ["error": "\(error)"])
                    }
                    try? await Task.sleep(for: .seconds(1))
                }
            }
        } onGracefulShutdown: {
            self.signal.close()
        }
        let box = box
        _ = try? await gate.run { [threadPool] in
            try await threadPool.runIfActive { try box.driver.close() }
        }
    }

    /// Applies one batch; answers whether more changes may be waiting.
    @discardableResult
    public func applyOneBatch() async throws -> Bool {
        let (box, threadPool, published, watermark) = (self.box, self.threadPool, self.published, self.watermark)
        return try await gate.run {
            let step = try await threadPool.runIfActive { try box.driver.step() }
            if let outcome = step.outcome { published(outcome, step.seq) }
            watermark.advance(to: step.seq)
            return step.more
        }
    }

    /// Applies everything committed so far.
    public func catchUp() async throws {
        while try await applyOneBatch() {}
    }

    /// Runs `body` with the projection on the thread pool, between batches (retention).
    /// Do not keep the projection past the closure.
    public func withProjection<T: Sendable>(_ body: @escaping @Sendable (P) throws -> T) async throws -> T {
        let (box, threadPool) = (self.box, self.threadPool)
        return try await gate.run { try await threadPool.runIfActive { try body(box.driver.projection) } }
    }

    /// Runs `body` under the writer's gate without touching the writer (work that must
    /// not interleave with a batch, such as dropping months the readers still list).
    public func exclusively<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        try await gate.run(body)
    }
}
