import Synchronization

/// The one way Almanac parks a task: until it is handed a value, its deadline passes, or
/// its task is cancelled — whichever comes first, exactly once.
///
/// Every waiter carries a key (a sequence number for watermarks, 0 where order alone
/// matters). `resume(where:)` wakes the waiters whose key satisfies a predicate;
/// `resumeFirst` hands a value to the oldest waiter (FIFO). A waiter whose task is
/// cancelled, or whose deadline passes, is removed from the queue at once, so nothing a
/// dead request waited for stays behind. Watermarks (`min_seq`, `?wait=true`), the reader
/// pools, the indexers' wake signal and their gate all park here.
public final class WaitQueue<Value: Sendable>: Sendable {
    /// How a wait ended.
    public enum Outcome: Sendable {
        case value(Value)
        case timedOut
        case cancelled

        public var value: Value? {
            if case .value(let v) = self { return v }
            return nil
        }
    }

    private struct Waiter {
        var key: Int64
        var continuation: CheckedContinuation<Outcome, Never>
        var timer: Task<Void, Never>?
    }

    private struct State {
        var waiters: [UInt64: Waiter] = [:]
        /// Arrival order, for FIFO hand-offs (ids of removed waiters are skipped lazily).
        var order: [UInt64] = []
        var nextID: UInt64 = 0
        /// Waits cancelled before they parked: their continuation resumes as it arrives.
        var cancelledEarly: Set<UInt64> = []
    }

    private let state = Mutex(State())

    public init() {}

    /// How many tasks are parked.
    public var count: Int { state.withLock { $0.waiters.count } }

    /// Parks the calling task. `ready` runs under the queue's lock first: a non-nil answer
    /// is returned at once without parking (so a check and a park are one atomic step
    /// against `resume`). With a nil `timeout` the wait ends only by a value or by
    /// cancellation.
    public func wait(key: Int64 = 0, timeout: Duration?, ready: () -> Value? = { nil }) async -> Outcome {
        if Task.isCancelled { return .cancelled }
        let id: UInt64 = state.withLock { s in
            s.nextID &+= 1
            return s.nextID
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Outcome, Never>) in
                let immediate: Outcome? = state.withLock { s in
                    if s.cancelledEarly.remove(id) != nil { return .cancelled }
                    if let value = ready() { return .value(value) }
                    var waiter = Waiter(key: key, continuation: continuation)
                    if let timeout {
                        waiter.timer = Task { [weak self] in
                            do { try await Task.sleep(for: timeout) } catch { return }
                            self?.end(id, with: .timedOut)
                        }
                    }
                    s.waiters[id] = waiter
                    s.order.append(id)
                    return nil
                }
                if let immediate { continuation.resume(returning: immediate) }
            }
        } onCancel: {
            let parked = state.withLock { s -> Bool in
                if s.waiters[id] != nil { return true }
                s.cancelledEarly.insert(id)
                return false
            }
            if parked { end(id, with: .cancelled) }
        }
    }

    /// Wakes every waiter whose key satisfies `predicate`, handing each `value`.
    /// Answers how many woke.
    @discardableResult
    public func resume(where predicate: (Int64) -> Bool, with value: Value) -> Int {
        let woken: [Waiter] = state.withLock { s in
            var out: [Waiter] = []
            for (id, waiter) in s.waiters where predicate(waiter.key) {
                out.append(waiter)
                s.waiters[id] = nil
            }
            if !out.isEmpty { s.order.removeAll { s.waiters[$0] == nil } }
            return out
        }
        for waiter in woken {
            waiter.timer?.cancel()
            waiter.continuation.resume(returning: .value(value))
        }
        return woken.count
    }

    /// Wakes every waiter with `value`.
    @discardableResult
    public func resumeAll(with value: Value) -> Int { resume(where: { _ in true }, with: value) }

    /// Hands `value` to the oldest waiter; false when nobody waits. `orElse` runs under
    /// the lock when nobody waits (to keep the value where the next `ready` finds it).
    @discardableResult
    public func resumeFirst(with value: Value, orElse: () -> Void = {}) -> Bool {
        let first: Waiter? = state.withLock { s in
            while !s.order.isEmpty {
                let id = s.order.removeFirst()
                if let waiter = s.waiters.removeValue(forKey: id) { return waiter }
            }
            orElse()
            return nil
        }
        guard let first else { return false }
        first.timer?.cancel()
        first.continuation.resume(returning: .value(value))
        return true
    }

    private func end(_ id: UInt64, with outcome: Outcome) {
        let waiter: Waiter? = state.withLock { s in
            guard let waiter = s.waiters.removeValue(forKey: id) else { return nil }
            if s.order.first == id { s.order.removeFirst() } else { s.order.removeAll { $0 == id } }
            return waiter
        }
        guard let waiter else { return }
        if case .cancelled = outcome { waiter.timer?.cancel() }
        waiter.continuation.resume(returning: outcome)
    }
}
