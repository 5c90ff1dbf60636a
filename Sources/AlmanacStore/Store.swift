public import AlmanacCore
import Foundation
public import GRDB
public import Logging

/// How far an acknowledged write is durable (`durability` in the configuration).
public enum Durability: String, Sendable, CaseIterable, CustomStringConvertible {
    /// SQLite `synchronous=FULL`: every commit is fsynced before it is acknowledged, so an
    /// acknowledged write survives a power loss or kernel crash. Concurrent single writes
    /// share one commit (group commit), so they share the fsync.
    case fsync
    /// SQLite `synchronous=NORMAL` in WAL mode: an acknowledged write survives the process
    /// dying (kill -9, crash) but a power loss or kernel crash may roll back the last commits.
    case process

    public var description: String { rawValue }

    /// The `PRAGMA synchronous` value that gives this durability (FULL = 2, NORMAL = 1).
    public var synchronous: Int {
        switch self {
        case .fsync: 2
        case .process: 1
        }
    }
}

/// How the store is opened.
public struct StoreOptions: Sendable {
    public var durability: Durability = .fsync
    /// A storage fault clears only once the filesystem has this much room again (so a
    /// nearly full disk does not flap between "full" and "recovered").
    public var recoveryHeadroomBytes: Int64 = 8 << 20
    /// How often a storage fault is rechecked in the background.
    public var recoveryCheckInterval: Duration = .seconds(1)
    /// At most this many single writes share one commit.
    public var groupCommitLimit = 256
    public init() {}
}

/// The canonical store: one SQLite file in WAL mode, reached through a GRDB `DatabasePool`.
///
/// Every write is one transaction that also appends to the change log and allocates
/// sequence numbers; a write is acknowledged only after its commit. Reads run on GRDB's
/// reader connections, writes on its single writer queue; neither touches an event loop.
/// Every query function takes the tenant as a required argument.
///
/// Single writes (one product or one event) go through ``GroupCommit``: while one commit
/// is in flight, the writes that arrive meanwhile wait and then commit together, each in
/// its own savepoint, so under `durability: fsync` they share one fsync. Storage faults
/// (a full disk) become `507` errors naming the store and are tracked in ``health``.
public final class Store: Sendable {
    public let pool: DatabasePool
    public let path: String
    public let options: StoreOptions
    /// Storage faults in effect (the store's own, and those the indexers report).
    public let health: StorageHealth
    let group: GroupCommit

    /// Opens (creating if needed) the store at `path` and runs pending migrations.
    public init(path: String, options: StoreOptions = StoreOptions(), logger: Logger = Logger(label: "almanac.store")) throws {
        self.path = path
        self.options = options
        var config = Configuration()
        config.label = "almanac.store"
        config.busyMode = .timeout(10)
        config.maximumReaderCount = 8
        let synchronous = options.durability == .fsync ? "FULL" : "NORMAL"
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = \(synchronous)")
            try db.execute(sql: "PRAGMA cache_size = -65536")
            try db.execute(sql: "PRAGMA temp_store = MEMORY")
        }
        let pool = try DatabasePool(path: path, configuration: config)
        // GRDB sets `synchronous = NORMAL` on the writer when it turns WAL on, after
        // `prepareDatabase`: set it again on the (one, long-lived) writer connection.
        try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = \(synchronous)") }
        self.pool = pool
        let directory = (path as NSString).deletingLastPathComponent
        let dataDirectory = directory.isEmpty ? "." : directory
        health = StorageHealth(
            paths: [
                .store: path, .productIndex: dataDirectory + "/index/products", .eventIndex: dataDirectory + "/index/events",
            ],
            headroomBytes: options.recoveryHeadroomBytes, recheckInterval: options.recoveryCheckInterval, logger: logger,
            storeProbe: { await Store.probe(pool) })
        group = GroupCommit(pool: pool, limit: options.groupCommitLimit)
        try Store.migrator.migrate(pool)
    }

    /// Single writes committed through group commit, and the commits they took: their
    /// ratio is the mean group size.
    public var groupCommitCounts: (commits: Int, writes: Int) { group.counts }

    public func close() throws {
        health.close()
        try pool.close()
    }

    /// The `PRAGMA synchronous` in effect on the writer connection (2 FULL, 1 NORMAL).
    public func synchronousMode() async throws -> Int {
        try await pool.write { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1 }
    }

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

    /// Checks that the store answers a write (for `/ready`): false while a storage fault
    /// is in effect or when the probe write fails.
    public func isWritable() async -> Bool {
        if health.fault(.store) != nil { return false }
        return await Store.probe(pool)
    }

    static func probe(_ pool: DatabasePool) async -> Bool {
        do {
            try await pool.write { db in try db.execute(sql: "UPDATE sequence SET value = value WHERE id = 1") }
            return true
        } catch {
            return false
        }
    }

    /// One write transaction, with storage faults turned into a 507 naming the store (and
    /// recorded in ``health``).
    func write<T: Sendable>(_ updates: @escaping @Sendable (Database) throws -> T) async throws -> T {
        do {
            return try await pool.write(updates)
        } catch {
            throw storageError(error)
        }
    }

    /// A single write, grouped with the single writes that arrive while a commit is in
    /// flight (``GroupCommit``). Errors as for ``write(_:)``.
    func groupedWrite<T: Sendable>(_ updates: @escaping @Sendable (Database) throws -> T) async throws -> T {
        do {
            return try await group.write(updates)
        } catch {
            throw storageError(error)
        }
    }

    /// `error` as the client should see it: a storage fault becomes a 507 naming the store.
    func storageError(_ error: any Error) -> any Error {
        guard let kind = StorageFault.classify(error) else { return error }
        if let e = error as? AlmanacError, e.code == .insufficientStorage { return e }
        health.report(.store, error)
        let cause: String
        if let e = error as? DatabaseError {
            cause = "SQLite error \(e.extendedResultCode.rawValue): \(e.message ?? "\(e.resultCode)")"
        } else {
            cause = String("\(error)".prefix(200))
        }
        return AlmanacError.insufficientStorage("the store (\((path as NSString).lastPathComponent))", kind, cause: cause)
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
