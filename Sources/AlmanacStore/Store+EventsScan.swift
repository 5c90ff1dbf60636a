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
