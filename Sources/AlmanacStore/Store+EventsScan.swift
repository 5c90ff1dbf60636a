import GRDB

extension Store {
    /// Stored events with `seq` in `(after, through]`, in seq order and chunks, on one
    /// snapshot: what the timeline's columnar copy loads at start-up.
    public func forEachEvent(
        after: Int64 = 0, through: Int64, occurredFrom: Int64? = nil, chunk: Int = 5000, _ body: ([StoredEvent]) throws -> Void
    ) throws {
        try pool.read { db in
            var last = after
            while true {
                var sql = "SELECT seq, tenant, body FROM events WHERE seq > ? AND seq <= ?"
                var arguments: StatementArguments = [last, through]
                if let occurredFrom {
                    sql += " AND occurred_at >= ?"
                    arguments += [occurredFrom]
                }
                sql += " ORDER BY seq LIMIT ?"
                arguments += [chunk]
                let rows = try Row.fetchAll(db, sql: sql, arguments: arguments)
                if rows.isEmpty { break }
                let events = rows.map { StoredEvent(seq: $0[0], tenant: $0[1], body: $0[2]) }
                try body(events)
                last = events.last!.seq
            }
        }
    }

    /// Stored events with `occurred_at` in `occurred` and `seq` in `(after, through]`, in
    /// seq order and chunks, through the time index: what the timeline loader reads for
    /// one month whose column file is missing or behind.
    public func forEachEvent(
        occurred: Range<Int64>, after: Int64, through: Int64, chunk: Int = 5000, _ body: ([StoredEvent]) throws -> Void
    ) throws {
        try pool.read { db in
            let rows = try Row.fetchCursor(
                db,
                sql: """
                    SELECT seq, tenant, body FROM events INDEXED BY events_by_time
                    WHERE occurred_at >= ? AND occurred_at < ? AND seq > ? AND seq <= ? ORDER BY seq
                    """,
                arguments: [occurred.lowerBound, occurred.upperBound, after, through])
            var events: [StoredEvent] = []
            events.reserveCapacity(chunk)
            while let row = try rows.next() {
                events.append(StoredEvent(seq: row[0], tenant: row[1], body: row[2]))
                if events.count == chunk {
                    try body(events)
                    events.removeAll(keepingCapacity: true)
                }
            }
            if !events.isEmpty { try body(events) }
        }
    }

    /// Stored events per tenant, counting only those at or after `occurredFrom` when given
    /// (the months retention keeps), for `almanac check`.
    public func eventCounts(occurredFrom: Int64?) throws -> [String: Int] {
        try pool.read { db in
            var counts: [String: Int] = [:]
            let rows: [Row]
            if let occurredFrom {
                rows = try Row.fetchAll(
                    db, sql: "SELECT tenant, COUNT(*) FROM events WHERE occurred_at >= ? GROUP BY tenant", arguments: [occurredFrom])
            } else {
                rows = try Row.fetchAll(db, sql: "SELECT tenant, COUNT(*) FROM events GROUP BY tenant")
            }
            for row in rows { counts[row[0]] = row[1] }
            return counts
        }
    }
}
