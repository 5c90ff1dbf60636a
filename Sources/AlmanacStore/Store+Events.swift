public import AlmanacCore
import GRDB

/// The outcome of appending one event.
public enum EventAppendOutcome: Sendable, Equatable {
    /// Stored now.
    case accepted(id: String, seq: Int64)
    /// The same id with the same content was stored before: answered as before.
    case duplicate(id: String, seq: Int64)
    /// The same id with other content exists.
    case conflict(id: String)
}

/// One entity-history page position: after (occurred_at, id).
public struct EventPosition: Sendable, Equatable {
    public var occurredAt: Int64
    public var id: String
    public init(occurredAt: Int64, id: String) {
        self.occurredAt = occurredAt
        self.id = id
    }
}

extension Store {
    /// Appends events in one transaction; idempotent by id. Outcomes are in input order.
    public func appendEvents(_ drafts: [EventValidator.Draft], context: WriteContext) async throws -> [EventAppendOutcome] {
        // One event (POST /v1/events) shares its commit with other single writes; a bulk is
        // its own transaction.
        if drafts.count == 1 { return try await groupedWrite { db in try Self.append(drafts, db, context) } }
        return try await write { db in try Self.append(drafts, db, context) }
    }

    static func append(_ drafts: [EventValidator.Draft], _ db: Database, _ context: WriteContext) throws -> [EventAppendOutcome] {
        var seqs = try SeqAllocator(db)
        let outcomes = try append(drafts, db, context, seqs: &seqs)
        try seqs.finish(db)
        return outcomes
    }

    /// One batch inside an open transaction: idempotent by id (the same content again is a
    /// duplicate, other content a conflict), new events take seqs from `seqs` in order.
    static func append(
        _ drafts: [EventValidator.Draft], _ db: Database, _ context: WriteContext, seqs: inout SeqAllocator
    ) throws -> [EventAppendOutcome] {
        var outcomes: [EventAppendOutcome] = []
        outcomes.reserveCapacity(drafts.count)
        for draft in drafts {
            if let id = draft.id, let existing = try Self.fetchEventRow(db, tenant: context.tenant, id: id) {
                let stored = try Event(storedJSON: try JSONParser.parse(existing.body))
                let candidate = draft.event(id: id, receivedAt: stored.receivedAt, seq: stored.seq)
                outcomes.append(candidate.contentJSON == stored.contentJSON ? .duplicate(id: id, seq: stored.seq) : .conflict(id: id))
                continue
            }
            let seq = seqs.next()
            let id = draft.id ?? Self.generatedEventID()
            let event = draft.event(id: id, receivedAt: context.now, seq: seq)
            try Self.insertEvent(db, event, tenant: context.tenant, writtenBy: context.actor)
            outcomes.append(.accepted(id: id, seq: seq))
        }
        return outcomes
    }

    /// The stored JSON of one event, or nil.
    public func eventJSON(tenant: String, id: String) async throws -> String? {
        try await pool.read { db in try Self.fetchEventRow(db, tenant: tenant, id: id)?.body }
    }

    /// One entity's history, ordered by (occurred_at, id), after `position` when given.
    public func entityEvents(
        tenant: String, entityType: String, entityID: String, descending: Bool, after position: EventPosition?,
        limit: Int
    ) async throws -> [String] {
        try await pool.read { db in
            var sql = "SELECT body FROM events WHERE tenant = ? AND entity_type = ? AND entity_id = ?"
            var arguments: StatementArguments = [tenant, entityType, entityID]
            if let position {
                sql += descending ? " AND (occurred_at, id) < (?, ?)" : " AND (occurred_at, id) > (?, ?)"
                arguments += [position.occurredAt, position.id]
            }
            sql += descending ? " ORDER BY occurred_at DESC, id DESC" : " ORDER BY occurred_at, id"
            sql += " LIMIT ?"
            arguments += [limit]
            return try String.fetchAll(db, sql: sql, arguments: arguments)
        }
    }

    /// Number of events of one entity (exact).
    public func entityEventCount(tenant: String, entityType: String, entityID: String) async throws -> Int {
        try await pool.read { db in
            try Int.fetchOne(
                db, sql: "SELECT COUNT(*) FROM events WHERE tenant = ? AND entity_type = ? AND entity_id = ?",
                arguments: [tenant, entityType, entityID]) ?? 0
        }
    }

    /// Deletes every event that occurred before `cutoff` (retention); answers how many.
    public func deleteEvents(occurredBefore cutoff: Int64) async throws -> Int {
        try await write { db in
            try db.execute(sql: "DELETE FROM events WHERE occurred_at < ?", arguments: [cutoff])
            return db.changesCount
        }
    }

    // MARK: - Internals

    struct EventRow {
        var seq: Int64
        var body: String
    }

    static func fetchEventRow(_ db: Database, tenant: String, id: String) throws -> EventRow? {
        let statement = try db.cachedStatement(sql: "SELECT seq, body FROM events WHERE tenant = ? AND id = ?")
        guard let row = try Row.fetchOne(statement, arguments: [tenant, id]) else { return nil }
        return EventRow(seq: row[0], body: row[1])
    }

    static func insertEvent(_ db: Database, _ event: Event, tenant: String, writtenBy: String?) throws {
        let statement = try db.cachedStatement(
            sql: """
                INSERT INTO events (seq, tenant, id, occurred_at, entity_type, entity_id, written_by, body)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """)
        try statement.execute(arguments: [
            event.seq, tenant, event.id, event.occurredAt.microseconds, event.entity?.type, event.entity?.id,
            writtenBy, String(decoding: event.jsonBytes, as: UTF8.self),
        ])
    }

    static func generatedEventID() -> String {
        var rng = SystemRandomNumberGenerator()
        let a = rng.next() as UInt64
        let b = rng.next() as UInt64
        return "evt_" + Hex.encode(a) + Hex.encode(b)
    }
}
