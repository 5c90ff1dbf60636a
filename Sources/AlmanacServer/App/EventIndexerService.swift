import AlmanacCore
import AlmanacIndex
import AlmanacStore
import Logging
import NIOPosix
import ServiceLifecycle
import Synchronization

/// Projects stored events into the month indexes and the resident columns: the only
/// writer of `index/events`. Wakes on every committed write (and on a timer), applies
/// events in batches on the blocking thread pool, commits each touched month with the
/// batch's watermark, then publishes the new revisions. Enforces retention on start and
/// every `retentionInterval`. On graceful shutdown it finishes the batch in hand and stops.
public final class EventIndexerService: Service, Sendable {
    /// `@unchecked Sendable`: the writer is only touched inside `threadPool.runIfActive`
    /// blocks that this service awaits one at a time (from `open`, then from its single
    /// `run()` task; `catchUp` and `enforceRetention` are called by tests only while the
    /// service's loop waits, and every call takes `gate` first).
    final class WriterBox: @unchecked Sendable {
        let writer: EventIndexWriter
        init(_ writer: EventIndexWriter) { self.writer = writer }
    }

    let box: WriterBox
    let epoch: EventCacheEpoch
    let store: Store
    let readers: EventReaders
    let columns: EventColumnStore
    let watermark: Watermark
    let tenants: TenantState
    let signal: WakeSignal
    let threadPool: NIOThreadPool
    let batchSize: Int
    let pollInterval: Duration
    let retentionDays: Int
    let retentionInterval: Duration
    let logger: Logger
    /// Serialises writer work between the loop and direct callers (tests, catch-up).
    private let gate = AsyncGate()

    init(
        box: WriterBox, epoch: EventCacheEpoch, store: Store, readers: EventReaders, columns: EventColumnStore, watermark: Watermark,
        tenants: TenantState, signal: WakeSignal, threadPool: NIOThreadPool, batchSize: Int, pollInterval: Duration,
        retentionDays: Int, retentionInterval: Duration = .seconds(3600), logger: Logger
    ) {
        self.box = box
        self.epoch = epoch
        self.store = store
        self.readers = readers
        self.columns = columns
        self.watermark = watermark
        self.tenants = tenants
        self.signal = signal
        self.threadPool = threadPool
        self.batchSize = batchSize
        self.pollInterval = pollInterval
        self.retentionDays = retentionDays
        self.retentionInterval = retentionInterval
        self.logger = logger
    }

    public func run() async throws {
        var lastRetention = ContinuousClock.now
        await withGracefulShutdownHandler {
            while !signal.isClosed {
                do {
                    let more = try await applyOneBatch()
                    if retentionDays > 0, ContinuousClock.now - lastRetention >= retentionInterval {
                        lastRetention = ContinuousClock.now
                        _ = try await enforceRetention()
                    }
                    if !more { await signal.wait(timeout: pollInterval) }
                } catch {
                    if !store.health.report(.eventIndex, error, progress: { [watermark] in watermark.value }) { logger.error("event indexing failed; retrying", metadata: ["error": "\(error)"]) }
                    try? await Task.sleep(for: .seconds(1))
                }
            }
        } onGracefulShutdown: {
            self.signal.close()
        }
        await gate.run { [box, threadPool] in
            try? await threadPool.runIfActive { try box.writer.close() }
        }
    }

    /// Applies one batch; answers whether more events may be waiting.
    @discardableResult
    func applyOneBatch() async throws -> Bool {
        try await gate.run { try await self.applyOneBatchLocked() }
    }

    private func applyOneBatchLocked() async throws -> Bool {
        let (box, store, tenants, batchSize, retentionDays) = (self.box, self.store, self.tenants, self.batchSize, self.retentionDays)
        let step = try await threadPool.runIfActive { () -> (EventApplyOutcome, Int64, Bool) in
            let writer = box.writer
            let batch = try store.eventChanges(after: writer.lastSeq, limit: batchSize)
            if batch.changes.isEmpty {
                writer.skip(to: batch.watermark)
                return (EventApplyOutcome(), batch.watermark, false)
            }
            let retainFrom = EventRetention.firstKeptMonth(days: retentionDays, now: .now())
            let outcome = try writer.apply(
                batch.changes.map { EventIndexChange(seq: $0.seq, tenant: $0.tenant, body: $0.body) }, watermark: batch.watermark,
                retainFrom: retainFrom, language: { tenants.settings($0).language })
            return (outcome, batch.watermark, batch.changes.count == batchSize)
        }
        let (outcome, seq, more) = step
        if !outcome.newMonths.isEmpty { readers.register(outcome.newMonths) }
        readers.publish(outcome.months)
        if !outcome.tenants.isEmpty { tenants.touch("events", tenants: outcome.tenants, generation: seq) }
        watermark.advance(to: seq)
        return more
    }

    /// Applies everything committed so far (tests, import).
    public func catchUp() async throws {
        while try await applyOneBatch() {}
    }

    /// Drops the months that lie wholly before the retention cutoff: their databases,
    /// readers, columns and stored rows. Answers the months dropped.
    @discardableResult
    func enforceRetention(now: Timestamp = .now()) async throws -> [EventMonth] {
        guard let keep = EventRetention.firstKeptMonth(days: retentionDays, now: now) else { return [] }
        return try await gate.run {
            let expired = self.box.writer.months.filter { $0 < keep }
            if !expired.isEmpty {
                self.readers.remove(expired)
                let box = self.box
                try await self.threadPool.runIfActive { try box.writer.drop(expired) }
                self.columns.drop(months: Set(expired))
                self.epoch.bump()
            }
            let deleted = try await self.store.deleteEvents(occurredBefore: keep.start)
            if !expired.isEmpty || deleted > 0 {
                self.logger.info("retention dropped expired months", metadata: [
                    "months": "\(expired.map(\.name).joined(separator: ","))", "rows": "\(deleted)", "kept_from": "\(keep.name)",
                ])
                if deleted > 0 { self.epoch.bump() }
            }
            return expired
        }
    }
}

/// A FIFO async mutex: one holder at a time, waiters resumed in order.
final class AsyncGate: Sendable {
    private struct State {
        var held = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())

    func run<T: Sendable>(_ body: @Sendable () async throws -> T) async rethrows -> T {
        await acquire()
        defer { release() }
        return try await body()
    }

    private func acquire() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let now: Bool = state.withLock { s in
                if !s.held {
                    s.held = true
                    return true
                }
                s.waiters.append(c)
                return false
            }
            if now { c.resume() }
        }
    }

    private func release() {
        let next: CheckedContinuation<Void, Never>? = state.withLock { s in
            if s.waiters.isEmpty {
                s.held = false
                return nil
            }
            return s.waiters.removeFirst()
        }
        next?.resume()
    }
}
