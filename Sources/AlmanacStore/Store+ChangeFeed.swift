import GRDB
public import AlmanacCore

/// A product change as the indexer sees it: the current stored body (nil when deleted).
public struct ProductChange: Sendable {
    public var seq: Int64
    public var tenant: String
    public var id: String
    public var body: String?
}

/// A stored event as the indexer sees it.
public struct StoredEvent: Sendable {
    public var seq: Int64
    public var tenant: String
    public var body: String
}

/// A batch read from one snapshot: the changes, and the sequence number the reader may
/// advance its watermark to once it has applied them.
public struct ChangeBatch<Change: Sendable>: Sendable {
    public var changes: [Change]
    public var watermark: Int64
    public init(changes: [Change], watermark: Int64) {
        self.changes = changes
        self.watermark = watermark
    }
}

extension Store {
    /// Product changes after `seq`, oldest first, at most `limit`, in one snapshot.
    /// `watermark` is the last change read when the batch is full, else the store's head.
    public func productChanges(after seq: Int64, limit: Int) throws -> ChangeBatch<ProductChange> {
        try pool.read { db in
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT c.seq, c.tenant, c.id, p.body FROM product_changes c
                    LEFT JOIN products p ON p.tenant = c.tenant AND p.id = c.id
                    WHERE c.seq > ? ORDER BY c.seq LIMIT ?
                    """,
                arguments: [seq, limit])
            let changes = rows.map { ProductChange(seq: $0[0], tenant: $0[1], id: $0[2], body: $0[3]) }
            let watermark = changes.count == limit ? changes.last!.seq : try Self.headSeq(db)
            return ChangeBatch(changes: changes, watermark: max(watermark, seq))
        }
    }

    /// Events stored after `seq`, oldest first, at most `limit`, in one snapshot.
    public func eventChanges(after seq: Int64, limit: Int) throws -> ChangeBatch<StoredEvent> {
        try pool.read { db in
            let rows = try Row.fetchAll(
                db, sql: "SELECT seq, tenant, body FROM events WHERE seq > ? ORDER BY seq LIMIT ?",
                arguments: [seq, limit])
            let changes = rows.map { StoredEvent(seq: $0[0], tenant: $0[1], body: $0[2]) }
            let watermark = changes.count == limit ? changes.last!.seq : try Self.headSeq(db)
            return ChangeBatch(changes: changes, watermark: max(watermark, seq))
        }
    }

    /// Stored products after `key` in (tenant, id) order, at most `limit`: a rebuild reads
    /// the products themselves, since the change log keeps only what is not yet indexed.
    public func products(after key: (tenant: String, id: String)?, limit: Int) throws -> [ProductChange] {
        try pool.read { db in
            let rows: [Row]
            if let key {
                rows = try Row.fetchAll(
                    db, sql: "SELECT seq, tenant, id, body FROM products WHERE (tenant, id) > (?, ?) ORDER BY tenant, id LIMIT ?",
                    arguments: [key.tenant, key.id, limit])
            } else {
                rows = try Row.fetchAll(db, sql: "SELECT seq, tenant, id, body FROM products ORDER BY tenant, id LIMIT ?", arguments: [limit])
            }
            return rows.map { ProductChange(seq: $0[0], tenant: $0[1], id: $0[2], body: $0[3]) }
        }
    }

    /// Drops applied product change rows at or below `seq` (the index holds them now).
    /// Runs on the projection's thread (synchronously); a storage fault is a 507 as for
    /// every other write.
    public func pruneProductChanges(through seq: Int64) throws {
        do {
            try pool.write { db in
                try db.execute(sql: "DELETE FROM product_changes WHERE seq <= ?", arguments: [seq])
            }
        } catch {
            throw storageError(error)
        }
    }

    /// Rows in the product change log (bounded: the indexer prunes what it applied).
    public func productChangeCount() throws -> Int {
        try pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM product_changes") ?? 0 }
    }

    /// When the oldest change an index has not applied was written, for the index lag in
    /// seconds: the `received_at` of the first stored event after `seq` (every catalogue
    /// write stores its `product.*` event in the same transaction as its change row), or,
    /// with `productChanges`, after the first product change row after `seq`. Nil when
    /// nothing is pending. Settings reindex rows carry no event, so for them the figure is
    /// that of the next write (an underestimate).
    public func firstPendingWriteTime(after seq: Int64, productChanges: Bool) throws -> Timestamp? {
        try pool.read { db in
            let from: Int64
            if productChanges {
                guard let first = try Int64.fetchOne(db, sql: "SELECT MIN(seq) FROM product_changes WHERE seq > ?", arguments: [seq])
                else { return nil }
                from = first
            } else {
                from = seq + 1
            }
            guard
                let text = try String.fetchOne(
                    db, sql: "SELECT json_extract(body, '$.received_at') FROM events WHERE seq >= ? ORDER BY seq LIMIT 1",
                    arguments: [from])
            else { return nil }
            return try? Timestamp(rfc3339: text)
        }
    }

    /// Counts for `almanac check`: products and events per tenant.
    public func counts() throws -> (products: [String: Int], events: [String: Int]) {
        try pool.read { db in
            var products: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT tenant, COUNT(*) FROM products GROUP BY tenant") {
                products[row[0]] = row[1]
            }
            var events: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT tenant, COUNT(*) FROM events GROUP BY tenant") {
                events[row[0]] = row[1]
            }
            return (products, events)
        }
    }
}
