public import Logging
public import NIOPosix
import Synchronization

/// A fixed-size pool of ``RedisConnection``s with a circuit breaker.
///
/// Each connection is used by one task at a time, and every blocking hiredis call runs on
/// the injected `NIOThreadPool` (through `runIfActive`), never on an event loop or Swift's
/// cooperative pool. When all connections are busy, callers wait in FIFO order.
///
/// The circuit breaker: a connection failure (connect, I/O, timeout, protocol) trips it.
/// While tripped, ``status`` is ``Status/down`` and every call fails at once with
/// ``RedisError/Code/down`` (no connect attempt) until ``Configuration/retryInterval`` has
/// passed; then a single call is let through as a probe. If the probe reaches the server
/// the breaker closes, otherwise it stays tripped for another interval. Connections opened
/// before a trip are not reused after it.
public final class RedisPool: Sendable {
    public struct Configuration: Sendable {
        public var url: RedisURL
        /// The most connections the pool opens (they are opened lazily).
        public var maxConnections: Int
        public var connectTimeout: Duration
        public var commandTimeout: Duration
        /// How long the breaker stays tripped before one probe is let through.
        public var retryInterval: Duration

        public init(
            url: RedisURL,
            maxConnections: Int = 4,
            connectTimeout: Duration = .milliseconds(200),
            commandTimeout: Duration = .milliseconds(100),
            retryInterval: Duration = .seconds(1)
        ) {
            precondition(maxConnections > 0, "a Redis pool needs at least one connection")
            self.url = url
            self.maxConnections = maxConnections
            self.connectTimeout = connectTimeout
            self.commandTimeout = commandTimeout
            self.retryInterval = retryInterval
        }
    }

    /// What `/ready` and the metrics report.
    public enum Status: String, Sendable {
        case up, down
    }

    public let configuration: Configuration
    private let threadPool: NIOThreadPool
    private let logger: Logger
    private let state: Mutex<State>
    private let waiterIDs = Atomic<UInt64>(0)

    /// - Parameters:
    ///   - threadPool: where the blocking hiredis calls run; it must be started and outlive
    ///     the pool's use (calls fail once it is shut down).
    public init(
        configuration: Configuration,
        threadPool: NIOThreadPool = .singleton,
        logger: Logger = Logger(label: "almanac.cache.redis")
    ) {
        self.configuration = configuration
        self.threadPool = threadPool
        self.logger = logger
        self.state = Mutex(State(slots: (0..<configuration.maxConnections).map { _ in ConnectionSlot() }))
    }

    /// `down` from a connection failure until a probe reaches the server again.
    public var status: Status {
        state.withLock { $0.breaker == .closed ? .up : .down }
    }

    /// How many times the breaker went from up to down since the pool was made.
    public var breakerTrips: Int {
        state.withLock { $0.trips }
    }

    /// Runs `body` with a connection of the pool, on the thread pool.
    ///
    /// `body` may block (it runs on a thread-pool thread) and must not store the connection.
    /// Its connection failures feed the circuit breaker; throws ``RedisError/Code/down``
    /// without calling `body` while the breaker is tripped.
    public func withConnection<Value: Sendable>(
        _ body: @escaping @Sendable (RedisConnection) throws -> Value
    ) async throws -> Value {
        let lease = try await acquire()
        let configuration = self.configuration
        let result: Result<Value, any Error>
        do {
            result = .success(try await threadPool.runIfActive {
                try lease.slot.withConnection(epoch: lease.epoch, configuration: configuration, body)
            })
        } catch {
            result = .failure(error)
        }
        release(lease, outcome: Outcome(result))
        return try result.get()
    }

    /// Fails waiting and later calls with ``RedisError/Code/poolClosed`` and drops the idle
    /// connections; connections in use are dropped when they come back.
    public func close() {
        let continuations = state.withLock { state in state.close() }
        for continuation in continuations {
            continuation.resume(throwing: RedisError(.poolClosed, "the Redis pool was closed"))
        }
    }

    // MARK: - Leasing

    private func acquire() async throws -> Lease {
        let now = ContinuousClock.now
        switch state.withLock({ state in state.tryAcquire(now: now) }) {
        case .leased(let lease):
            if lease.isProbe { logger.debug("Redis circuit breaker: probing", metadata: ["url": "\(configuration.url)"]) }
            return lease
        case .failed(let error):
            throw error
        case .mustWait:
            break
        }

        let id = waiterIDs.wrappingAdd(1, ordering: .relaxed).newValue
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Lease, any Error>) in
                let immediate: Result<Lease, any Error>? = state.withLock { state in
                    if Task.isCancelled { return .failure(CancellationError()) }
                    switch state.tryAcquire(now: .now) {
                    case .leased(let lease): return .success(lease)
                    case .failed(let error): return .failure(error)
                    case .mustWait:
                        state.waiters.append(Waiter(id: id, continuation: continuation))
                        return nil
                    }
                }
                if let immediate { continuation.resume(with: immediate) }
            }
        } onCancel: {
            let waiter = state.withLock { state in state.removeWaiter(id: id) }
            waiter?.continuation.resume(throwing: CancellationError())
        }
    }

    private func release(_ lease: Lease, outcome: Outcome) {
        let now = ContinuousClock.now
        let retryInterval = configuration.retryInterval
        let action = state.withLock { state in
            state.release(lease, outcome: outcome, now: now, retryInterval: retryInterval)
        }
        switch action.transition {
        case .tripped(let error):
            logger.debug("Redis circuit breaker tripped", metadata: ["url": "\(configuration.url)", "error": "\(error)"])
        case .recovered:
            logger.debug("Redis circuit breaker closed", metadata: ["url": "\(configuration.url)"])
        case .none:
            break
        }
        if let (waiter, next) = action.handOff {
            waiter.continuation.resume(returning: next)
        }
        for waiter in action.failed {
            waiter.continuation.resume(throwing: action.failure ?? RedisError(.down, "Redis is down"))
        }
    }
}

extension RedisPool {
    /// How a leased call ended, as far as the breaker is concerned.
    enum Outcome {
        /// The server answered (also with an error reply).
        case reachedServer
        /// Connect, I/O, timeout or protocol failure.
        case connectionFailure(RedisError)
        /// Nothing says anything about the server: cancelled before it ran, thread pool
        /// inactive, an argument rejected, an error of the caller's body.
        case neutral

        init<Value>(_ result: Result<Value, any Error>) {
            switch result {
            case .success:
                self = .reachedServer
            case .failure(let error as RedisError) where error.isConnectionFailure:
                self = .connectionFailure(error)
            case .failure(let error as RedisError) where error.code == .serverError || error.code == .unexpectedReply:
                self = .reachedServer
            case .failure:
                self = .neutral
            }
        }
    }
}
