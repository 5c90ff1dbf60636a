import AlmanacCore
import Synchronization

/// The highest sequence number an index has applied, and a way to wait for one.
///
/// Waiters park in a `WaitQueue` keyed by the seq they need: `advance` wakes those it
/// satisfies, a deadline or a cancelled request removes its waiter at once, and the
/// indexer never blocks on them.
public final class Watermark: Sendable {
    private let current: Mutex<Int64>
    private let waiters = WaitQueue<Bool>()

    public init(_ value: Int64 = 0) {
        current = Mutex(value)
    }

    public var value: Int64 { current.withLock { $0 } }

    /// How many tasks wait (tests: a cancelled waiter must not stay behind).
    public var waiterCount: Int { waiters.count }

    /// Raises the watermark (never lowers it) and wakes the waiters it satisfies.
    public func advance(to seq: Int64) {
        let raised = current.withLock { v -> Bool in
            guard seq > v else { return false }
            v = seq
            return true
        }
        if raised { waiters.resume(where: { $0 <= seq }, with: true) }
    }

    /// Waits until the watermark is at least `seq`; false when `timeout` passes first or
    /// the waiting task is cancelled.
    public func wait(for seq: Int64, timeout: Duration) async -> Bool {
        if value >= seq { return true }
        // The check runs under the queue's lock, and `advance` publishes the value before
        // it resumes: a waiter either sees the new value or is woken by it.
        let outcome = await waiters.wait(key: seq, timeout: timeout) { self.value >= seq ? true : nil }
        return outcome.value ?? false
    }
}
