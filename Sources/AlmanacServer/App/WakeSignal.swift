import AlmanacStore
import Synchronization

/// Wakes a background loop: `notify()` from writers, `wait(timeout:)` in the loop.
/// Notifications coalesce; one pending wake is remembered if nobody is waiting.
public final class WakeSignal: Sendable {
    private struct State {
        var pending = false
        var waiter: CheckedContinuation<Void, Never>?
        var closed = false
    }

    private let state = Mutex(State())

    public init() {}

    public func notify() {
        let waiter: CheckedContinuation<Void, Never>? = state.withLock { s in
            if let w = s.waiter {
                s.waiter = nil
                return w
            }
            s.pending = true
            return nil
        }
        waiter?.resume()
    }

    /// Stops waiting for good (shutdown).
    public func close() {
        let waiter: CheckedContinuation<Void, Never>? = state.withLock { s in
            s.closed = true
            let w = s.waiter
            s.waiter = nil
            return w
        }
        waiter?.resume()
    }

    public var isClosed: Bool { state.withLock { $0.closed } }

    /// Returns when notified, closed, or after `timeout`.
    public func wait(timeout: Duration) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                    let resumeNow: Bool = self.state.withLock { s in
                        if s.pending || s.closed {
                            s.pending = false
                            return true
                        }
                        if let old = s.waiter { old.resume() }
                        s.waiter = c
                        return false
                    }
                    if resumeNow { c.resume() }
                }
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                self.notifyTimeout()
            }
            await group.next()
            group.cancelAll()
            self.notifyTimeout()
        }
    }

    private func notifyTimeout() {
        let waiter: CheckedContinuation<Void, Never>? = state.withLock { s in
            let w = s.waiter
            s.waiter = nil
            return w
        }
        waiter?.resume()
    }
}
