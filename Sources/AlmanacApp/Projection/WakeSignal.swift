import AlmanacCore
import Synchronization

/// Wakes a background loop: `notify()` from writers, `wait(timeout:)` in the loop.
/// Notifications coalesce; one pending wake is remembered if nobody is waiting.
public final class WakeSignal: Sendable {
    private struct State {
        var pending = false
        var closed = false
    }

    private let state = Mutex(State())
    private let waiters = WaitQueue<Void>()

    public init() {}

    public func notify() {
        waiters.resumeFirst(with: ()) { state.withLock { $0.pending = true } }
    }

    /// Stops waiting for good (shutdown).
    public func close() {
        state.withLock { $0.closed = true }
        waiters.resumeAll(with: ())
    }

    public var isClosed: Bool { state.withLock { $0.closed } }

    /// Returns when notified, closed, cancelled, or after `timeout`.
    public func wait(timeout: Duration) async {
        _ = await waiters.wait(timeout: timeout) {
            state.withLock { s -> Void? in
                guard s.pending || s.closed else { return nil }
                s.pending = false
                return ()
            }
        }
    }
}

/// A FIFO async mutex: one holder at a time, waiters served in arrival order. A waiter
/// whose task is cancelled leaves the queue (and never holds the gate).
public final class AsyncGate: Sendable {
    private let held = Mutex(false)
    private let waiters = WaitQueue<Void>()

    public init() {}

    public func run<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        try await acquire()
        defer { release() }
        return try await body()
    }

    private func acquire() async throws {
        let outcome = await waiters.wait(timeout: nil) {
            held.withLock { h -> Void? in
                if h { return nil }
                h = true
                return ()
            }
        }
        guard outcome.value != nil else { throw CancellationError() }
    }

    /// Hands the gate to the oldest waiter, or opens it.
    private func release() {
        waiters.resumeFirst(with: ()) { held.withLock { $0 = false } }
    }
}
