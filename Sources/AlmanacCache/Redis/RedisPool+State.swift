/// The pool's bookkeeping: idle connections, waiters and the circuit breaker. Only touched
/// under `RedisPool.state`'s lock; it never blocks and never resumes a continuation itself
/// (it returns what to resume, and the pool resumes outside the lock).
extension RedisPool {
    /// A connection slot lent to one task; `epoch` is the breaker epoch at lending time.
    struct Lease: Sendable {
        let slot: ConnectionSlot
        let epoch: UInt64
        let isProbe: Bool
    }

    struct Waiter {
        let id: UInt64
        let continuation: CheckedContinuation<Lease, any Error>
    }

    enum Breaker: Equatable {
        /// Calls go through.
        case closed
        /// Tripped: calls fail fast until `retryAt`.
        case open(retryAt: ContinuousClock.Instant)
        /// One probe is in flight; other calls fail fast.
        case probing
    }

    enum AcquireDecision {
        case leased(Lease)
        case failed(RedisError)
        case mustWait
    }

    enum Transition {
        case tripped(RedisError)
        case recovered
    }

    struct ReleaseAction {
        var transition: Transition?
        /// The slot goes straight to this waiter.
        var handOff: (Waiter, Lease)?
        /// Waiters to fail because the breaker tripped.
        var failed: [Waiter] = []
        var failure: RedisError?
    }

    struct State {
        var idle: [ConnectionSlot]
        var waiters: [Waiter] = []
        var breaker: Breaker = .closed
        /// Bumped at every trip; a slot whose connection is from an older epoch reconnects.
        var epoch: UInt64 = 0
        /// Up-to-down transitions (a failed probe is not a new trip).
        var trips = 0
        var lastFailure: RedisError?
        var closed = false

        init(slots: [ConnectionSlot]) {
            self.idle = slots
        }

        private var downError: RedisError {
            RedisError(.down, "Redis is down (circuit breaker open)" + (lastFailure.map { ": \($0.message)" } ?? ""))
        }

        mutating func tryAcquire(now: ContinuousClock.Instant) -> AcquireDecision {
            if closed { return .failed(RedisError(.poolClosed, "the Redis pool was closed")) }
            switch breaker {
            case .closed:
                guard let slot = idle.popLast() else { return .mustWait }
                return .leased(Lease(slot: slot, epoch: epoch, isProbe: false))
            case .open(let retryAt) where now < retryAt:
                return .failed(downError)
            case .open:
                // Time for one probe. If every slot is still busy with calls from before the
                // trip, leave the breaker for the next caller instead of queueing the probe.
                guard let slot = idle.popLast() else { return .failed(downError) }
                breaker = .probing
                return .leased(Lease(slot: slot, epoch: epoch, isProbe: true))
            case .probing:
                return .failed(downError)
            }
        }

        mutating func removeWaiter(id: UInt64) -> Waiter? {
            guard let index = waiters.firstIndex(where: { $0.id == id }) else { return nil }
            return waiters.remove(at: index)
        }

        mutating func release(
            _ lease: Lease,
            outcome: Outcome,
            now: ContinuousClock.Instant,
            retryInterval: Duration
        ) -> ReleaseAction {
            var action = ReleaseAction()
            // Only calls leased in the current epoch say something about the server now;
            // late results of calls from before a trip neither close nor re-trip the breaker.
            let current = lease.epoch == epoch
            switch outcome {
            case .reachedServer where current:
                if breaker != .closed {
                    breaker = .closed
                    lastFailure = nil
                    action.transition = .recovered
                }
            case .connectionFailure(let error) where current:
                if breaker == .closed {
                    trips += 1
                    action.transition = .tripped(error)
                }
                epoch &+= 1
                breaker = .open(retryAt: now.advanced(by: retryInterval))
                lastFailure = error
                action.failed = waiters
                action.failure = downError
                waiters.removeAll()
            case .neutral where lease.isProbe && breaker == .probing:
                // The probe did not run: let the next caller probe.
                breaker = .open(retryAt: now)
            default:
                break
            }

            if closed {
                lease.slot.dropConnection()
                idle.append(lease.slot)
            } else if breaker == .closed, !waiters.isEmpty {
                action.handOff = (waiters.removeFirst(), Lease(slot: lease.slot, epoch: epoch, isProbe: false))
            } else {
                idle.append(lease.slot)
            }
            return action
        }

        mutating func close() -> [CheckedContinuation<Lease, any Error>] {
            closed = true
            for slot in idle { slot.dropConnection() }
            let continuations = waiters.map(\.continuation)
            waiters.removeAll()
            return continuations
        }
    }
}

/// One place in the pool, holding at most one connection (opened lazily).
///
/// `@unchecked Sendable` is sound because the slot's mutable state is only touched by
/// whoever holds it exclusively: a slot is either in `State.idle` (touched only under the
/// pool's lock, e.g. `dropConnection()` in `close()`), or lent out in exactly one `Lease`,
/// whose holder uses it from one thread-pool work item at a time and gives it back under
/// the lock. The lock (and the thread pool's own queue lock) orders every hand-over, so
/// there are no concurrent accesses and each access sees the previous holder's writes.
final class ConnectionSlot: @unchecked Sendable {
    private var connection: RedisConnection?
    private var epoch: UInt64 = 0

    /// Runs `body` with this slot's connection, connecting first when there is none or it
    /// was opened before the breaker's last trip. Blocking: call on a thread-pool thread.
    func withConnection<Value>(
        epoch: UInt64,
        configuration: RedisPool.Configuration,
        _ body: (RedisConnection) throws -> Value
    ) throws -> Value {
        if let connection, self.epoch == epoch {
            return try body(connection)
        }
        self.connection = nil
        let fresh = try RedisConnection(
            url: configuration.url,
            connectTimeout: configuration.connectTimeout,
            commandTimeout: configuration.commandTimeout
        )
        self.connection = fresh
        self.epoch = epoch
        return try body(fresh)
    }

    func dropConnection() {
        connection = nil
    }
}
