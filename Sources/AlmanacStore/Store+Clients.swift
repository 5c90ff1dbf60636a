import Foundation
public import AlmanacCore
import GRDB

/// An API client (OAuth 2.0 client credentials). The secret is kept only as a hash.
public struct ClientRecord: Sendable, Equatable {
    public var id: String
    public var tenant: String
    public var name: String
    public var scopes: [String]
    public var secretHash: String
    public var createdAt: Timestamp
    public var revokedAt: Timestamp?

    public init(
        id: String, tenant: String, name: String, scopes: [String], secretHash: String, createdAt: Timestamp,
        revokedAt: Timestamp? = nil
    ) {
        self.id = id
        self.tenant = tenant
        self.name = name
        self.scopes = scopes
        self.secretHash = secretHash
        self.createdAt = createdAt
        self.revokedAt = revokedAt
    }

    init(row: Row) {
        id = row["id"]
        tenant = row["tenant"]
        name = row["name"]
        scopes = (row["scopes"] as String).split(separator: " ").map(String.init)
        secretHash = row["secret_hash"]
        createdAt = Timestamp(microseconds: row["created_at"])
        revokedAt = (row["revoked_at"] as Int64?).map { Timestamp(microseconds: $0) }
    }
}

extension Store {
    public func insertClient(_ client: ClientRecord) async throws {
        try await write { db in
            try db.execute(
                sql: """
                    INSERT INTO clients (id, tenant, name, scopes, secret_hash, created_at, revoked_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    client.id, client.tenant, client.name, client.scopes.joined(separator: " "), client.secretHash,
                    client.createdAt.microseconds, client.revokedAt?.microseconds,
                ])
        }
    }

    public func client(id: String) async throws -> ClientRecord? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM clients WHERE id = ?", arguments: [id]).map(ClientRecord.init(row:))
        }
    }

    /// Clients of a tenant (all tenants when nil), oldest first.
    public func clients(tenant: String?) async throws -> [ClientRecord] {
        try await pool.read { db in
            if let tenant {
                return try Row.fetchAll(
                    db, sql: "SELECT * FROM clients WHERE tenant = ? ORDER BY created_at, id", arguments: [tenant]
                ).map(ClientRecord.init(row:))
            }
            return try Row.fetchAll(db, sql: "SELECT * FROM clients ORDER BY tenant, created_at, id").map(ClientRecord.init(row:))
        }
    }

    /// Marks a client revoked; false when no such client of that tenant exists.
    public func revokeClient(id: String, tenant: String?, at now: Timestamp) async throws -> Bool {
        try await write { db in
            if let tenant {
                try db.execute(
                    sql: "UPDATE clients SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ? AND tenant = ?",
                    arguments: [now.microseconds, id, tenant])
            } else {
                try db.execute(
                    sql: "UPDATE clients SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?",
                    arguments: [now.microseconds, id])
            }
            return db.changesCount > 0
        }
    }

    /// Ids of every revoked client (the verifier keeps them in memory).
    public func revokedClientIDs() async throws -> Set<String> {
        try await pool.read { db in
            Set(try String.fetchAll(db, sql: "SELECT id FROM clients WHERE revoked_at IS NOT NULL"))
        }
    }
}

/// A tenant's signing key as stored: the private half sealed under the master key.
public struct SigningKeyRecord: Sendable, Equatable {
    public var kid: String
    public var tenant: String
    public var sealedPrivateKey: [UInt8]
    public var publicX: [UInt8]
    public var publicY: [UInt8]
    public var createdAt: Timestamp
    public var isSigner: Bool
    /// When a key that no longer signs stops verifying: every token it signed has expired
    /// by then (set at rotation to rotation time + token lifetime + leeway).
    public var retireAfter: Timestamp?

    public init(
        kid: String, tenant: String, sealedPrivateKey: [UInt8], publicX: [UInt8], publicY: [UInt8],
        createdAt: Timestamp, isSigner: Bool, retireAfter: Timestamp? = nil
    ) {
        self.kid = kid
        self.tenant = tenant
        self.sealedPrivateKey = sealedPrivateKey
        self.publicX = publicX
        self.publicY = publicY
        self.createdAt = createdAt
        self.isSigner = isSigner
        self.retireAfter = retireAfter
    }

    init(row: Row) {
        kid = row["kid"]
        tenant = row["tenant"]
        sealedPrivateKey = [UInt8](row["sealed_private"] as Data)
        publicX = [UInt8](row["public_x"] as Data)
        publicY = [UInt8](row["public_y"] as Data)
        createdAt = Timestamp(microseconds: row["created_at"])
        isSigner = row["is_signer"]
        retireAfter = (row["retire_after"] as Int64?).map { Timestamp(microseconds: $0) }
    }
}

extension Store {
    /// Adds a key. When it is the signer, the tenant's previous signer stops signing in the
    /// same transaction and keeps verifying until `retireOthersAt` (nil: no deadline).
    public func insertSigningKey(_ key: SigningKeyRecord, retireOthersAt: Timestamp? = nil) async throws {
        try await write { db in
            if key.isSigner {
                try db.execute(
                    sql: "UPDATE signing_keys SET is_signer = 0, retire_after = COALESCE(retire_after, ?) WHERE tenant = ? AND is_signer = 1",
                    arguments: [retireOthersAt?.microseconds, key.tenant])
            }
            try db.execute(
                sql: """
                    INSERT INTO signing_keys (kid, tenant, sealed_private, public_x, public_y, created_at, is_signer, retire_after)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    key.kid, key.tenant, Data(key.sealedPrivateKey), Data(key.publicX), Data(key.publicY),
                    key.createdAt.microseconds, key.isSigner, key.retireAfter?.microseconds,
                ])
        }
    }

    /// Every signing key (all tenants), oldest first.
    public func signingKeys() async throws -> [SigningKeyRecord] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM signing_keys ORDER BY tenant, created_at, kid").map(SigningKeyRecord.init(row:))
        }
    }

    /// Forgets keys that no longer sign and whose `retire_after` has passed (every token
    /// they signed has expired); answers their kids.
    public func deleteRetiredKeys(retiredBefore now: Timestamp) async throws -> [String] {
        try await write { db in
            try String.fetchAll(
                db, sql: "DELETE FROM signing_keys WHERE is_signer = 0 AND retire_after IS NOT NULL AND retire_after < ? RETURNING kid",
                arguments: [now.microseconds])
        }
    }
}

/// Per-tenant search settings as stored.
public struct SettingsRecord: Sendable, Equatable {
    public var tenant: String
    public var body: String
    public var generation: Int64
    public var seq: Int64
}

extension Store {
    public func allSettings() throws -> [SettingsRecord] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM settings").map {
                SettingsRecord(tenant: $0["tenant"], body: $0["body"], generation: $0["generation"], seq: $0["seq"])
            }
        }
    }

    /// Replaces a tenant's settings, bumping its generation. When `reindex` is set, every
    /// product of the tenant gets a change row (carrying `actor`, the client that changed
    /// the settings) so the indexer re-projects it.
    public func putSettings(tenant: String, body: String, reindex: Bool, actor: String? = nil) async throws -> SettingsRecord {
        try await write { db in
            var seqs = try SeqAllocator(db)
            let generation = (try Int64.fetchOne(db, sql: "SELECT generation FROM settings WHERE tenant = ?", arguments: [tenant]) ?? 0) + 1
            if reindex {
                let ids = try String.fetchAll(db, sql: "SELECT id FROM products WHERE tenant = ? ORDER BY id", arguments: [tenant])
                for id in ids {
                    try Self.appendChange(db, seq: seqs.next(), tenant: tenant, id: id, op: .upsert, actor: actor)
                }
            }
            let seq = seqs.next()
            try db.execute(
                sql: """
                    INSERT INTO settings (tenant, body, generation, seq) VALUES (?, ?, ?, ?)
                    ON CONFLICT (tenant) DO UPDATE SET body = excluded.body, generation = excluded.generation, seq = excluded.seq
                    """,
                arguments: [tenant, body, generation, seq])
            try seqs.finish(db)
            return SettingsRecord(tenant: tenant, body: body, generation: generation, seq: seq)
        }
    }
}
