import AlmanacCore
import AlmanacStore
import Synchronization

/// Every tenant's ES256 key pairs: public halves in memory for verification, private
/// halves sealed at rest (AES-256-GCM under the master key, a fresh nonce each time, the
/// box bound to its kid and tenant) and unsealed only when a key signs.
public final class Keyring: Sendable {
    struct Entry: Sendable {
        var tenant: String
        var publicKey: P256PublicKey
        var createdAt: Timestamp
    }

    struct State: Sendable {
        var keys: [String: Entry] = [:]
        var signers: [String: String] = [:]
        var privateKeys: [String: P256PrivateKey] = [:]
    }

    private let state = Mutex(State())
    private let store: Store
    private let masterKey: MasterKey
    private let creation = Serializer()

    public init(store: Store, masterKey: MasterKey) {
        self.store = store
        self.masterKey = masterKey
    }

    /// Loads every stored key (public halves) into memory.
    public func load() async throws {
        let records = try await store.signingKeys()
        var loaded = State()
        for record in records {
            let publicKey = try P256PublicKey(x: record.publicX, y: record.publicY)
            loaded.keys[record.kid] = Entry(tenant: record.tenant, publicKey: publicKey, createdAt: record.createdAt)
            if record.isSigner { loaded.signers[record.tenant] = record.kid }
        }
        state.withLock { $0 = loaded }
    }

    /// The verification key `kid` — only if it belongs to `tenant`.
    public func publicKey(kid: String, tenant: String) -> P256PublicKey? {
        state.withLock { s in
            guard let entry = s.keys[kid], entry.tenant == tenant else { return nil }
            return entry.publicKey
        }
    }

    /// The tenant's current signing key, created on first use.
    public func signer(for tenant: String) async throws -> JWTSigner {
        if let signer = try cachedSigner(tenant) { return signer }
        return try await creation.run {
            if let signer = try self.cachedSigner(tenant) { return signer }
            _ = try await self.createKey(tenant: tenant)
            return try self.cachedSigner(tenant)!
        }
    }

    /// Adds a new key and makes it the tenant's signer; older keys keep verifying.
    public func rotate(tenant: String) async throws -> String {
        try await creation.run { try await self.createKey(tenant: tenant) }
    }

    /// The public keys of every tenant as a JWK set.
    public func jwks() -> [UInt8] {
        let keys = state.withLock { s in
            s.keys.sorted { ($0.value.createdAt, $0.key) < ($1.value.createdAt, $1.key) }.map { (kid: $0.key, key: $0.value.publicKey) }
        }
        return JWKS.render(keys)
    }

    /// Kids of one tenant (tests and operators).
    public func kids(tenant: String) -> [String] {
        state.withLock { s in s.keys.filter { $0.value.tenant == tenant }.map(\.key).sorted() }
    }

    /// Exports the tenant's current private key as PEM (tests: PyJWT signs with it).
    public func exportSignerPEM(tenant: String) async throws -> (kid: String, pem: String) {
        let signer = try await signer(for: tenant)
        return (signer.kid, try signer.key.pemRepresentation())
    }

    private func cachedSigner(_ tenant: String) throws -> JWTSigner? {
        let found: (String, P256PrivateKey?)? = state.withLock { s in
            guard let kid = s.signers[tenant] else { return nil }
            return (kid, s.privateKeys[kid])
        }
        guard let (kid, key) = found else { return nil }
        if let key { return JWTSigner(key: key, kid: kid) }
        return nil
    }

    static func aad(kid: String, tenant: String) -> [UInt8] { Array("almanac-jwt-key|\(tenant)|\(kid)".utf8) }

    private func createKey(tenant: String) async throws -> String {
        let key = try P256PrivateKey()
        let kid = Base64URL.encode(try SecureRandom.bytes(12))
        let sealed = try AESGCM.seal(try key.pkcs8DER(), key: masterKey.bytes, aad: Self.aad(kid: kid, tenant: tenant))
        let now = Timestamp.now()
        try await store.insertSigningKey(
            SigningKeyRecord(
                kid: kid, tenant: tenant, sealedPrivateKey: sealed, publicX: key.publicKey.x, publicY: key.publicKey.y,
                createdAt: now, isSigner: true))
        state.withLock { s in
            s.keys[kid] = Entry(tenant: tenant, publicKey: key.publicKey, createdAt: now)
            s.signers[tenant] = kid
            s.privateKeys[kid] = key
        }
        return kid
    }

    /// Unseals stored signer keys (after `load`), so tokens can be issued without creating keys.
    public func unsealSigners() async throws {
        let records = try await store.signingKeys().filter(\.isSigner)
        for record in records {
            let der = try AESGCM.open(record.sealedPrivateKey, key: masterKey.bytes, aad: Self.aad(kid: record.kid, tenant: record.tenant))
            let key = try P256PrivateKey(pkcs8DER: der)
            state.withLock { $0.privateKeys[record.kid] = key }
        }
    }
}

/// Runs async blocks one at a time (key creation must not race).
actor Serializer {
    private var busy = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    func run<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        while busy {
            await withCheckedContinuation { waiters.append($0) }
        }
        busy = true
        defer {
            busy = false
            if !waiters.isEmpty { waiters.removeFirst().resume() }
        }
        return try await body()
    }
}
