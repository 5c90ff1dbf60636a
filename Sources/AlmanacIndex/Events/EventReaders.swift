public import AlmanacCore
public import NIOPosix
import Synchronization

/// Reader pools of the timeline, one per month database, opened on first use.
///
/// A query asks only for the months its `[from, to)` overlaps, so a search over last week
/// touches one or two databases however long the history is. The indexer registers a
/// month once its first commit exists, publishes new revisions per month, and removes
/// months that retention dropped.
public final class EventReaders: Sendable {
    private struct State {
        var months: Set<EventMonth> = []
        var pools: [EventMonth: ReaderPool] = [:]
        var closed = false
    }

    public let directory: String
    private let state = Mutex(State())
    private let capacity: Int
    public let threadPool: NIOThreadPool

    public init(directory: String, capacity: Int, threadPool: NIOThreadPool) {
        self.directory = directory
        self.capacity = max(1, capacity)
        self.threadPool = threadPool
    }

    public func path(of month: EventMonth) -> String { directory + "/" + month.name }

    /// Makes months searchable (their databases exist and hold a commit).
    public func register(_ months: some Sequence<EventMonth>) {
        state.withLock { s in s.months.formUnion(months) }
    }

    /// Tells the readers of these months that a newer revision is committed.
    public func publish(_ months: some Sequence<EventMonth>) {
        let pools = state.withLock { s in months.compactMap { s.pools[$0] } }
        for pool in pools { pool.publish() }
    }

    /// Forgets months (retention dropped them); their idle handles close.
    public func remove(_ months: some Sequence<EventMonth>) {
        let removed: [ReaderPool] = state.withLock { s in
            var out: [ReaderPool] = []
            for m in months {
                s.months.remove(m)
                if let p = s.pools.removeValue(forKey: m) { out.append(p) }
            }
            return out
        }
        for pool in removed { pool.close() }
    }

    /// Searchable months overlapping `range`, oldest first.
    public func months(overlapping range: EventTimeRange) -> [EventMonth] {
        state.withLock { s in s.months.filter { $0.overlaps(range) } }.sorted()
    }

    public var allMonths: [EventMonth] { state.withLock { $0.months }.sorted() }

    /// Runs `body` on a reader of `month`, on the thread pool.
    public func withReader<T: Sendable>(
        _ month: EventMonth, _ body: @escaping @Sendable (XapianDatabase) throws -> T
    ) async throws -> T {
        let pool: ReaderPool = try state.withLock { s in
            if s.closed { throw AlmanacError(.unavailable, "the event index is closed") }
            if let p = s.pools[month] { return p }
            let p = ReaderPool(paths: [path(of: month)], capacity: capacity, threadPool: threadPool)
            s.pools[month] = p
            return p
        }
        return try await pool.withReader(body)
    }

    public func close() {
        let pools = state.withLock { s in
            s.closed = true
            let p = Array(s.pools.values)
            s.pools.removeAll()
            return p
        }
        for pool in pools { pool.close() }
    }
}
