import Synchronization

/// The highest sequence number an index has applied, and a way to wait for one.
///
/// Waiters are resumed when the watermark reaches their number or their deadline passes;
/// the indexer never blocks on them.
public final class Watermark: Sendable {
    private struct Waiter {
        var seq: Int64
        var continuation: CheckedContinuation<Bool, Never>
    }

    private struct State {
        var value: Int64
        var waiters: [UInt64: Waiter] = [:]
        var nextID: UInt64 = 0
        /// Waits whose deadline passed before they registered.
        var expired: Set<UInt64> = []
    }

    private let state: Mutex<State>

    public init(_ value: Int64 = 0) {
        state = Mutex(State(value: value))
    }

    public var value: Int64 { state.withLock { $0.value } }

    /// Raises the watermark (never lowers it) and wakes the waiters it satisfies.
    public func advance(to seq: Int64) {
        let ready: [CheckedContinuation<Bool, Never>] = state.withLock { s in
            guard seq > s.value else { return [] }
            s.value = seq
            var out: [CheckedContinuation<Bool, Never>] = []
            for (id, waiter) in s.waiters where waiter.seq <= seq {
                out.append(waiter.continuation)
                s.waiters[id] = nil
            }
            return out
        }
        for continuation in ready { continuation.resume(returning: true) }
    }

    /// Waits until the watermark is at least `seq`; false when `timeout` passes first.
    public func wait(for seq: Int64, timeout: Duration) async -> Bool {
        if value >= seq { return true }
        let id: UInt64 = state.withLock { s in
            s.nextID += 1
            return s.nextID
        }
        return await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
                    let resumeNow: Bool? = self.state.withLock { s in
                        if s.expired.remove(id) != nil { return false }
                        if s.value >= seq { return true }
                        s.waiters[id] = Waiter(seq: seq, continuation: continuation)
                        return nil
                    }
                    if let resumeNow { continuation.resume(returning: resumeNow) }
                }
            }
            group.addTask {
                do {
                    try await Task.sleep(for: timeout)
                } catch {
                    return false  // cancelled: the wait already ended
                }
                let waiter: Waiter? = self.state.withLock { s in
                    if let waiter = s.waiters.removeValue(forKey: id) { return waiter }
                    if s.value < seq { s.expired.insert(id) }
                    return nil
                }
                waiter?.continuation.resume(returning: false)
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            // If the timer fired first the waiter is already removed and resumed with false;
            // if the wait succeeded, the sleeping task ends on cancellation.
            return first
        }
    }
}
