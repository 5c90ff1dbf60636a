public import AlmanacCore
import Foundation
public import GRDB

/// The canonical store: one SQLite file in WAL mode, reached through a GRDB `DatabasePool`.
///
/// Every write is one transaction that also appends to the change log and allocates
/// sequence numbers; a write is acknowledged only after its commit. Reads run on GRDB's
/// reader connections, writes on its single writer queue; neither touches an event loop.
/// Every query function takes the tenant as a required argument.
public final class Store: Sendable {
    public let pool: DatabasePool
    public let path: String

    /// Opens (creating if needed) the store at `path` and runs pending migrations.
    public init(path: String) throws {
        self.path = path
        var config = Configuration()
        config.label = "almanac.store"
        config.busyMode = .timeout(10)
        config.maximumReaderCount = 8
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            try db.execute(sql: "PRAGMA cache_size = -65536")
            try db.execute(sql: "PRAGMA temp_store = MEMORY")
        }
        pool = try DatabasePool(path: path, configuration: config)
        try Store.migrator.migrate(pool)
    }

    public func close() throws { try pool.close() }

    /// The highest sequence number committed so far.
    public func headSeq() throws -> Int64 {
        try pool.read { db in try Store.headSeq(db) }
    }

    /// The last seq handed out, read on GRDB's reader queue.
    public func headSeq() async throws -> Int64 {
        try await pool.read { db in try Store.headSeq(db) }
    }

    static func headSeq(_ db: Database) throws -> Int64 {
        try Int64.fetchOne(db, sql: "SELECT value FROM sequence WHERE id = 1") ?? 0
    }

    /// Checks that the store answers a write (for `/ready`).
    public func isWritable() async -> Bool {
        do {
            try await pool.write { db in try db.execute(sql: "UPDATE sequence SET value = value WHERE id = 1") }
            return true
        } catch {
            return false
        }
    }

    /// A consistent copy of the store through SQLite's online backup.
    public func backup(to path: String) throws {
        let destination = try DatabaseQueue(path: path)
        try pool.backup(to: destination)
        try destination.close()
    }
}

extension Store {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-core") { db in
            try db.execute(
                sql: """
                    CREATE TABLE sequence (id INTEGER PRIMARY KEY CHECK (id = 1), value INTEGER NOT NULL);
                    INSERT INTO sequence (id, value) VALUES (1, 0);

                    CREATE TABLE products (
                        tenant TEXT NOT NULL,
                        id TEXT NOT NULL,
                        body TEXT NOT NULL,
                        version INTEGER NOT NULL,
                        seq INTEGER NOT NULL,
                        PRIMARY KEY (tenant, id)
                    ) WITHOUT ROWID;

                    CREATE TABLE product_changes (
                        seq INTEGER PRIMARY KEY,
                        tenant TEXT NOT NULL,
                        id TEXT NOT NULL,
                        op INTEGER NOT NULL,
                        actor TEXT
                    );

                    CREATE TABLE events (
                        seq INTEGER PRIMARY KEY,
                        tenant TEXT NOT NULL,
                        id TEXT NOT NULL,
                        occurred_at INTEGER NOT NULL,
                        entity_type TEXT,
                        entity_id TEXT,
                        written_by TEXT,
                        body TEXT NOT NULL
                    );
                    CREATE UNIQUE INDEX events_by_id ON events (tenant, id);
                    CREATE INDEX events_by_entity ON events (tenant, entity_type, entity_id, occurred_at, id)
                        WHERE entity_type IS NOT NULL;
                    CREATE INDEX events_by_time ON events (occurred_at);

                    CREATE TABLE clients (
                        id TEXT PRIMARY KEY,
                        tenant TEXT NOT NULL,
                        name TEXT NOT NULL,
                        scopes TEXT NOT NULL,
                        secret_hash TEXT NOT NULL,
                        created_at INTEGER NOT NULL,
                        revoked_at INTEGER
                    );
                    CREATE INDEX clients_by_tenant ON clients (tenant);

                    CREATE TABLE signing_keys (
                        kid TEXT PRIMARY KEY,
                        tenant TEXT NOT NULL,
                        sealed_private BLOB NOT NULL,
                        public_x BLOB NOT NULL,
                        public_y BLOB NOT NULL,
                        created_at INTEGER NOT NULL,
                        is_signer INTEGER NOT NULL,
                        retire_after INTEGER
                    );
                    CREATE INDEX signing_keys_by_tenant ON signing_keys (tenant);

                    CREATE TABLE settings (
                        tenant TEXT PRIMARY KEY,
                        body TEXT NOT NULL,
                        generation INTEGER NOT NULL,
                        seq INTEGER NOT NULL
                    );
                    """)
        }
        return migrator
    }
}

/// How a write names who made it (the token's client), for change-log rows and timeline actors.
public struct WriteContext: Sendable {
    public var tenant: String
    public var actor: String?
    public var now: Timestamp
    public init(tenant: String, actor: String?, now: Timestamp = .now()) {
        self.tenant = tenant
        self.actor = actor
        self.now = now
    }
}
