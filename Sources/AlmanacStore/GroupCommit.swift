import AlmanacCore
import GRDB
import Synchronization

/// Group commit for single writes: the writes that arrive while a commit is in flight wait,
/// then run together in one transaction, each in its own savepoint, and are all answered
/// after that one commit. Under `synchronous=FULL` the commit's fsync is then paid once per
/// group instead of once per write; without concurrency a write commits alone, at once
/// (nothing waits on a timer).
///
/// Leadership passes from write to write: the write that finds no commit in flight leads,
/// takes everything queued (up to `limit`), commits it, answers the others and hands the
/// lead to the first write still queued. Each write's answer comes only after the commit
/// that holds it: the outbox rule (record, change row and event in one transaction,
/// answered after the commit) holds for every member of a group.
///
/// A member that throws an `AlmanacError` (404, 412, 409, validation) has its savepoint
/// rolled back and gets its own error; the others commit. Any other error (SQLite's) may
/// have rolled back the whole transaction, so the group fails and every member is retried
/// alone, once, which answers each with its own outcome (a disk that is full fails them
/// all, each with its 507).
final class GroupCommit: Sendable {
    typealias Body = @Sendable (Database) throws -> any Sendable

    private struct Job: Sendable {
        let id: UInt64
        let body: Body
        let continuation: CheckedContinuation<Outcome, Never>
    }

    private enum Outcome: Sendable {
        case done(Result<any Sendable, any Error>)
        case lead
    }

    private struct State {
        var queue: [Job] = []
        var leading = false
        var nextID: UInt64 = 0
        var commits = 0
        var writes = 0
    }

    private let pool: DatabasePool
    private let limit: Int
    private let state = Mutex(State())

    init(pool: DatabasePool, limit: Int) {
        self.pool = pool
        self.limit = max(1, limit)
    }

    /// Commits and writes so far: `writes / commits` is the mean group size.
    var counts: (commits: Int, writes: Int) { state.withLock { ($0.commits, $0.writes) } }

    func write<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        let id = state.withLock { s -> UInt64 in
            s.nextID += 1
            return s.nextID
        }
        let outcome = await withCheckedContinuation { (continuation: CheckedContinuation<Outcome, Never>) in
            let lead: Bool = state.withLock { s in
                s.queue.append(Job(id: id, body: { try body($0) }, continuation: continuation))
                if s.leading { return false }
                s.leading = true
                return true
            }
            if lead { continuation.resume(returning: .lead) }
        }
        let result: Result<any Sendable, any Error>
        switch outcome {
        case .done(let r):
            result = r
        case .lead:
            result = await lead(id)
        }
        return try result.get() as! T
    }

    /// Runs one group (which holds `own`), answers its other members, passes the lead on,
    /// and answers `own`'s result.
    private func lead(_ own: UInt64) async -> Result<any Sendable, any Error> {
        let batch: [Job] = state.withLock { s in
            let n = min(limit, s.queue.count)
            let taken = Array(s.queue.prefix(n))
            s.queue.removeFirst(n)
            return taken
        }
        let results = await run(batch)
        var mine: Result<any Sendable, any Error> = .failure(CancellationError())
        for (job, result) in zip(batch, results) {
            if job.id == own { mine = result } else { job.continuation.resume(returning: .done(result)) }
        }
        let next: Job? = state.withLock { s in
            guard let first = s.queue.first else {
                s.leading = false
                return nil
            }
            return first
        }
        next?.continuation.resume(returning: .lead)
        return mine
    }

    private func run(_ batch: [Job]) async -> [Result<any Sendable, any Error>] {
        do {
            let bodies = batch.map(\.body)
            let results = try await pool.write { db -> [SendableResult] in
                var results: [SendableResult] = []
                results.reserveCapacity(bodies.count)
                for body in bodies {
                    var value: (any Sendable)?
                    do {
                        try db.inSavepoint {
                            value = try body(db)
                            return .commit
                        }
                        results.append(SendableResult(.success(value!)))
                    } catch let error as AlmanacError {
                        results.append(SendableResult(.failure(error)))
                    }
                }
                return results
            }
            state.withLock { s in
                s.commits += 1
                s.writes += batch.count
            }
            return results.map(\.result)
        } catch {
            guard batch.count > 1 else { return [.failure(error)] }
            // The group failed as a whole: each member alone, so each gets its own answer.
            var results: [Result<any Sendable, any Error>] = []
            for job in batch {
                do {
                    let value = try await pool.write { db -> SendableBox in SendableBox(try job.body(db)) }
                    state.withLock { s in
                        s.commits += 1
                        s.writes += 1
                    }
                    results.append(.success(value.value))
                } catch {
                    results.append(.failure(error))
                }
            }
            return results
        }
    }
}

/// A result that crosses GRDB's `@Sendable` boundary.
private struct SendableResult: Sendable {
    let result: Result<any Sendable, any Error>
    init(_ result: Result<any Sendable, any Error>) { self.result = result }
}

private struct SendableBox: Sendable {
    let value: any Sendable
    init(_ value: any Sendable) { self.value = value }
}
