public import AlmanacCore
public import AlmanacStore
import Synchronization

/// Every tenant's ES256 key pairs: public halves in memory for verification, private
/// halves sealed at rest (AES-256-GCM under the master key, a fresh nonce each time, the
/// box bound to its kid and tenant) and unsealed only for a tenant's current signer.
///
/// Key life: a tenant's first token creates its key; `rotate` adds a key and makes it the
/// signer, and the previous signer keeps verifying until `retireAfter` (rotation time +
/// token lifetime + leeway, when every token it signed has expired). After that it no
/// longer verifies, leaves the JWKS, and `forgetRetiredKeys` deletes it from the store.
public final class Keyring: Sendable {
    struct Entry: Sendable {
        var tenant: String
        var publicKey: P256PublicKey
        var createdAt: Timestamp
        /// nil while the key signs (or for keys retired before deadlines were recorded).
        var retireAfter: Timestamp?
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
    private let now: @Sendable () -> Timestamp

    public init(store: Store, masterKey: MasterKey, now: @escaping @Sendable () -> Timestamp = { .now() }) {
        self.store = store
        self.masterKey = masterKey
        self.now = now
    }

    /// Loads every stored key (public halves) into memory and unseals the current signers.
    /// A master key that cannot open a sealed key is an error here, at start-up.
    public func load() async throws {
        let records = try await store.signingKeys()
        var loaded = State()
        for record in records {
            let publicKey = try P256PublicKey(x: record.publicX, y: record.publicY)
            loaded.keys[record.kid] = Entry(
                tenant: record.tenant, publicKey: publicKey, createdAt: record.createdAt, retireAfter: record.retireAfter)
            if record.isSigner {
                loaded.signers[record.tenant] = record.kid
                loaded.privateKeys[record.kid] = try unseal(record)
            }
        }
        state.withLock { $0 = loaded }
    }

    /// The verification key `kid`: only if it belongs to `tenant` and is not retired.
    public func publicKey(kid: String, tenant: String) -> P256PublicKey? {
        let now = now()
        return state.withLock { s in
            guard let entry = s.keys[kid], entry.tenant == tenant else { return nil }
            if let retireAfter = entry.retireAfter, now >= retireAfter { return nil }
            return entry.publicKey
        }
    }

    /// The tenant's current signing key, created on first use.
    public func signer(for tenant: String) async throws -> JWTSigner {
        if let signer = cachedSigner(tenant) { return signer }
        return try await creation.run {
            if let signer = self.cachedSigner(tenant) { return signer }
            _ = try await self.createKey(tenant: tenant, retireOthersAt: nil)
            guard let signer = self.cachedSigner(tenant) else {
                throw CryptoError(.invalidArgument, "no signing key for the tenant after creating one")
            }
            return signer
        }
    }

    /// Adds a new key and makes it the tenant's signer. The previous signer keeps verifying
    /// for `retireOldAfter` seconds (the token lifetime plus leeway), then retires. Also
    /// forgets keys whose deadline has passed.
    public func rotate(tenant: String, retireOldAfter seconds: Int) async throws -> String {
        let kid = try await creation.run {
            try await self.createKey(
                tenant: tenant, retireOthersAt: Timestamp(microseconds: self.now().microseconds + Int64(seconds) * 1_000_000))
        }
        _ = try await forgetRetiredKeys()
        return kid
    }

    /// Deletes keys past their retirement from the store and from memory; answers their kids.
    @discardableResult
    public func forgetRetiredKeys() async throws -> [String] {
        let now = now()
        let deleted = try await store.deleteRetiredKeys(retiredBefore: now)
        state.withLock { s in
            for kid in deleted { s.keys[kid] = nil }
            // Keys retired in memory but unknown to the store's sweep (none expected) go too.
            for (kid, entry) in s.keys where entry.retireAfter.map({ now >= $0 }) == true { s.keys[kid] = nil }
        }
        return deleted
    }

    /// The public keys that verify tokens now (every tenant) as a JWK set, oldest first.
    public func jwks() -> [UInt8] {
        let now = now()
        let keys = state.withLock { s in
            s.keys.filter { $0.value.retireAfter.map { now < $0 } ?? true }
                .sorted { ($0.value.createdAt, $0.key) < ($1.value.createdAt, $1.key) }
                .map { (kid: $0.key, key: $0.value.publicKey) }
        }
        return JWKS.render(keys)
    }

    /// Kids of one tenant that still verify (tests and operators), sorted.
    public func kids(tenant: String) -> [String] {
        let now = now()
        return state.withLock { s in
            s.keys.filter { $0.value.tenant == tenant && ($0.value.retireAfter.map { now < $0 } ?? true) }.map(\.key).sorted()
        }
    }

    /// The tenant's current signer kid, if it has one.
    public func signerKid(tenant: String) -> String? {
        state.withLock { $0.signers[tenant] }
    }

    /// Exports the tenant's current private key as PEM. For tests and for an operator who
    /// must sign tokens elsewhere; the server itself never calls it.
    public func exportSignerPEM(tenant: String) async throws -> (kid: String, pem: String) {
        let signer = try await signer(for: tenant)
        return (signer.kid, try signer.key.pemRepresentation())
    }

    private func cachedSigner(_ tenant: String) -> JWTSigner? {
        state.withLock { s in
            guard let kid = s.signers[tenant], let key = s.privateKeys[kid] else { return nil }
            return JWTSigner(key: key, kid: kid)
        }
    }

    /// The associated data that binds a sealed key to its kid and tenant, so a box cannot be
    /// moved to another row or tenant.
    static func aad(kid: String, tenant: String) -> [UInt8] { Array("almanac-jwt-key|\(tenant)|\(kid)".utf8) }

    private func unseal(_ record: SigningKeyRecord) throws -> P256PrivateKey {
        let der = try AESGCM.open(record.sealedPrivateKey, key: masterKey.bytes, aad: Self.aad(kid: record.kid, tenant: record.tenant))
        return try P256PrivateKey(pkcs8DER: der)
    }

    private func createKey(tenant: String, retireOthersAt: Timestamp?) async throws -> String {
        let key = try P256PrivateKey()
        let kid = Base64URL.encode(try SecureRandom.bytes(12))
        let sealed = try AESGCM.seal(try key.pkcs8DER(), key: masterKey.bytes, aad: Self.aad(kid: kid, tenant: tenant))
        let created = now()
        try await store.insertSigningKey(
            SigningKeyRecord(
                kid: kid, tenant: tenant, sealedPrivateKey: sealed, publicX: key.publicKey.x, publicY: key.publicKey.y,
                createdAt: created, isSigner: true),
            retireOthersAt: retireOthersAt)
        state.withLock { s in
            if let old = s.signers[tenant] {
                // The old private half is no longer needed in memory: it never signs again.
                s.privateKeys[old] = nil
                if var entry = s.keys[old], entry.retireAfter == nil {
                    entry.retireAfter = retireOthersAt
                    s.keys[old] = entry
                }
            }
            s.keys[kid] = Entry(tenant: tenant, publicKey: key.publicKey, createdAt: created, retireAfter: nil)
            s.signers[tenant] = kid
            s.privateKeys[kid] = key
        }
        return kid
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
