public import AlmanacCore
public import AlmanacIndex
public import AlmanacStore

/// The month indexes (and the resident columns) fed from the stored events, which are
/// their own change feed: `events.seq` is the primary key and nothing is pruned.
public struct TimelineProjection: Projection {
    public let writer: EventIndexWriter
    let store: Store
    let retentionDays: Int
    let language: @Sendable (String) -> String


    public var lastSeq: Int64 { writer.lastSeq }

    public func changes(after seq: Int64, limit: Int) throws -> ChangeBatch<StoredEvent> {
        try store.eventChanges(after: seq, limit: limit)
    }

    public func apply(_ changes: [StoredEvent], watermark: Int64) throws -> EventApplyOutcome {
        try writer.apply(
            changes.map { EventIndexChange(seq: $0.seq, tenant: $0.tenant, body: $0.body) }, watermark: watermark,
            retainFrom: EventRetention.firstKeptMonth(days: retentionDays, now: .now()), language: language)
    }

    public func skip(to watermark: Int64) { writer.skip(to: watermark) }

    public func pruneApplied(through seq: Int64) throws {}

    public func close() throws {
        try writer.persist(writer.lastSeq)
        try writer.close()
    }
}

/// Retention in whole UTC months.
public enum EventRetention {
    /// The first month kept when events older than `days` expire (nil: keep everything).
    /// A month expires only when all of it lies before the cutoff.
    public static func firstKeptMonth(days: Int, now: Timestamp) -> EventMonth? {
        guard days > 0 else { return nil }
        return EventMonth(containing: now.microseconds - Int64(days) * 86_400_000_000)
    }
}
