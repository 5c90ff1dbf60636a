import AlmanacCore
public import AlmanacStore

/// An index fed from a change feed: what `ProjectionDriver` drives, for the catalogue and
/// the timeline alike.
///
/// A projection owns its writer (one per index, not thread-safe): the driver calls it from
/// one thread at a time. `apply` commits the changes together with `watermark` as the
/// index's `last_seq`, so a restart resumes exactly where the last commit ended.
public protocol Projection {
    associatedtype Change: Sendable
    /// What one applied batch changed (tenants touched, months committed, ...).
    associatedtype Outcome: Sendable

    /// Everything up to here is applied.
    var lastSeq: Int64 { get }
    /// Changes after `seq`, oldest first, at most `limit`, read from one store snapshot.
    func changes(after seq: Int64, limit: Int) throws -> ChangeBatch<Change>
    /// Applies `changes` and commits them with `watermark`.
    func apply(_ changes: [Change], watermark: Int64) throws -> Outcome
    /// Advances `lastSeq` when a batch held nothing of this projection's.
    func skip(to watermark: Int64)
    /// Drops change-log rows the index holds durably now (a no-op where the feed is
    /// itself canonical, as the timeline's events are).
    func pruneApplied(through seq: Int64) throws
    /// Persists a skipped watermark and closes the writer.
    func close() throws
}

/// One step of a projection.
public struct ProjectionStep<Outcome: Sendable>: Sendable {
    /// What the batch changed; nil when it held nothing of this projection's.
    public var outcome: Outcome?
    /// The projection's watermark after the step.
    public var seq: Int64
    /// Whether more changes may be waiting (the batch was full).
    public var more: Bool
}

/// The one projection loop: read a batch of changes, apply and commit it with its
/// watermark, prune what the change log no longer needs, and say what changed so the
/// caller can publish readers and advance its watermark. The indexer services run it on
/// the thread pool; `import`, `reindex` and `check` run it inline.
public final class ProjectionDriver<P: Projection> {
    public let projection: P
    let batchSize: Int
    let pruneInterval: Duration
    private var lastPrune: ContinuousClock.Instant?
    private var prunedThrough: Int64 = 0

    public init(_ projection: P, batchSize: Int, pruneInterval: Duration = .seconds(1)) {
        self.projection = projection
        self.batchSize = max(1, batchSize)
        self.pruneInterval = pruneInterval
    }

    /// Applies one batch.
    public func step() throws -> ProjectionStep<P.Outcome> {
        let batch = try projection.changes(after: projection.lastSeq, limit: batchSize)
        if batch.changes.isEmpty {
            projection.skip(to: batch.watermark)
            return ProjectionStep(outcome: nil, seq: projection.lastSeq, more: false)
        }
        let outcome = try projection.apply(batch.changes, watermark: batch.watermark)
        try pruneIfDue(through: batch.watermark)
        return ProjectionStep(outcome: outcome, seq: projection.lastSeq, more: batch.changes.count == batchSize)
    }

    /// Applies everything committed so far; answers how many steps applied changes.
    @discardableResult
    public func catchUp() throws -> Int {
        var applied = 0
        while true {
            let step = try step()
            if step.outcome != nil { applied += 1 }
            if !step.more { break }
        }
        try pruneIfDue(through: projection.lastSeq, force: true)
        return applied
    }

    /// Prunes at most once per `pruneInterval` (a delete is a store write, competing with
    /// the writes being indexed), and only what an index commit made durable.
    private func pruneIfDue(through seq: Int64, force: Bool = false) throws {
        guard seq > prunedThrough else { return }
        let now = ContinuousClock.now
        if !force, let last = lastPrune, now - last < pruneInterval { return }
        try projection.pruneApplied(through: seq)
        lastPrune = now
        prunedThrough = seq
    }

    public func close() throws { try projection.close() }
}
