import AlmanacCore
import Logging
public import NIOPosix
import Synchronization

/// A pool of read-only handles on one Xapian database (or several searched as one).
///
/// Xapian has no internal locking, so a handle is used by one thread at a time: a caller
/// checks one out, runs its closure on the blocking thread pool (never on an event loop
/// or Swift's cooperative pool), and checks it back in. A handle whose generation is older
/// than the published one `reopen()`s first; a read whose revision a writer overwrote
/// meanwhile reopens and runs again (`XapianDatabase.retryingStaleReads`).
public final class ReaderPool: Sendable {
    /// One reader handle and the generation it last reopened at.
    ///
    /// `@unchecked Sendable`: the handle moves between threads but is never used by two at
    /// once — it lives either in the pool's locked `idle` list or with exactly one caller
    /// between `checkOut` and `checkIn`.
    final class Handle: @unchecked Sendable {
        let database: XapianDatabase
        var generation: UInt64
        init(database: XapianDatabase, generation: UInt64) {
            self.database = database
            self.generation = generation
        }
    }

    private struct State {
        var idle: [Handle] = []
        var created = 0
        var generation: UInt64 = 0
        var paths: [String]
        var closed = false
    }

    private let state: Mutex<State>
    /// Callers waiting for a handle, in arrival order.
    private let waiters = WaitQueue<Ticket>()
    private let capacity: Int
    private let threadPool: NIOThreadPool

    public init(paths: [String], capacity: Int, threadPool: NIOThreadPool) {
        state = Mutex(State(paths: paths))
        self.capacity = max(1, capacity)
        self.threadPool = threadPool
    }

    /// Tells readers that a newer revision is committed; each reopens on its next use.
    public func publish() {
        state.withLock { $0.generation &+= 1 }
    }

    public var paths: [String] { state.withLock { $0.paths } }

    public func close() {
        state.withLock { s in
            s.closed = true
            s.idle.removeAll()
        }
        waiters.resumeAll(with: .closed)
    }

    /// Runs `body` with a reader on the thread pool. Do not keep the database past the closure.
    public func withReader<T: Sendable>(_ body: @escaping @Sendable (XapianDatabase) throws -> T) async throws -> T {
        let handle = try await checkOut()
        var healthy = true
        defer { checkIn(handle, healthy: healthy) }
        let target = state.withLock { ($0.generation, $0.paths) }
        do {
            return try await threadPool.runIfActive {
                if handle.generation != target.0 {
                    _ = try handle.database.reopen()
                    handle.generation = target.0
                }
                // Searches retry by themselves; this covers the body's other reads (counts,
                // metadata) with one reopen-and-rerun, so retries never multiply.
                return try handle.database.retryingStaleReads(attempts: 2) { try body(handle.database) }
            }
        } catch {
            healthy = !(error is XapianError)
            throw error
        }
    }

    /// What a waiting caller is handed: a handle, the right to open a new one, or nothing.
    enum Ticket: Sendable {
        case handle(Handle)
        case create
        case closed
    }

    private func checkOut() async throws -> Handle {
        let outcome = await waiters.wait(timeout: nil) {
            state.withLock { s -> Ticket? in
                if s.closed { return .closed }
                if let h = s.idle.popLast() { return .handle(h) }
                if s.created < capacity {
                    s.created += 1
                    return .create
                }
                return nil
            }
        }
        guard let ticket = outcome.value else { throw CancellationError() }
        switch ticket {
        case .handle(let h): return h
        case .closed: throw AlmanacError(.unavailable, "the index is closed")
        case .create:
            let (paths, generation) = state.withLock { ($0.paths, $0.generation) }
            do {
                let database = try await threadPool.runIfActive { try ReaderPool.open(paths) }
                return Handle(database: database.value, generation: generation)
            } catch {
                state.withLock { $0.created -= 1 }
                throw error
            }
        }
    }

    private func checkIn(_ handle: Handle, healthy: Bool) {
        if state.withLock({ $0.closed }) { return }
        // The hand-off and the return to the idle list are one step against `checkOut`'s
        // check (both run under the wait queue's lock).
        waiters.resumeFirst(with: healthy ? .handle(handle) : .create) {
            state.withLock { s in
                if healthy { s.idle.append(handle) } else { s.created -= 1 }
            }
        }
    }

    /// `XapianDatabase` is not Sendable; this box carries a freshly opened one (not yet shared) out of the pool thread.
    struct Opened: @unchecked Sendable { let value: XapianDatabase }

    static func open(_ paths: [String]) throws -> Opened {
        if paths.isEmpty { return Opened(value: try XapianDatabase(paths: [])) }
        return Opened(value: paths.count == 1 ? try XapianDatabase(path: paths[0]) : try XapianDatabase(paths: paths))
    }
}
