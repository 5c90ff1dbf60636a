import AlmanacCore
public import AlmanacStore

/// Creates and lists API clients (the CLI and `POST /v1/clients` share this).
///
/// A client id is `cl_` and 96 random bits; a secret is 256 random bits (base64url, 43
/// characters), returned once by `create` and stored only as a salted scrypt hash
/// (`PasswordHash`, N = 2^14, r = 8, p = 1, 16-byte salt, 32-byte output).
public struct ClientRegistry: Sendable {
    public let store: Store
    let blocking: BlockingWork

    public init(store: Store, blocking: BlockingWork = .inline) {
        self.store = store
        self.blocking = blocking
    }

    public struct Created: Sendable {
        public var clientID: String
        public var clientSecret: String
        public var tenant: String
        public var scopes: [Scope]
        public var name: String

        public init(clientID: String, clientSecret: String, tenant: String, scopes: [Scope], name: String) {
            self.clientID = clientID
            self.clientSecret = clientSecret
            self.tenant = tenant
            self.scopes = scopes
            self.name = name
        }
    }

    public func create(tenant: String, name: String, scopes: [Scope]) async throws -> Created {
        guard TenantName.isValid(tenant) else { throw AlmanacError.invalidParameter("tenant", TenantName.rule) }
        let trimmed = name.trimmingSpaces
        guard !trimmed.isEmpty, trimmed.unicodeScalars.count <= 200,
            !trimmed.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
        else {
            throw AlmanacError.invalidParameter("name", "must be 1-200 characters without control characters")
        }
        guard !scopes.isEmpty else { throw AlmanacError.invalidParameter("scopes", "must name at least one scope") }
        var unique: [Scope] = []
        for scope in scopes where !unique.contains(scope) { unique.append(scope) }
        let id = "cl_" + Base64URL.encode(try SecureRandom.bytes(12))
        let secret = Base64URL.encode(try SecureRandom.bytes(32))
        let hash = try await blocking.run { try PasswordHash.create(secret: secret) }
        try await store.insertClient(
            ClientRecord(id: id, tenant: tenant, name: trimmed, scopes: unique.map(\.rawValue), secretHash: hash.encoded, createdAt: .now()))
        return Created(clientID: id, clientSecret: secret, tenant: tenant, scopes: unique, name: trimmed)
    }

    /// Clients of `tenant` (every tenant when nil), oldest first. Records carry the hash,
    /// never the secret; callers must not show `secretHash` either.
    public func list(tenant: String?) async throws -> [ClientRecord] {
        try await store.clients(tenant: tenant)
    }
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while s.first?.isWhitespace == true { s.removeFirst() }
        while s.last?.isWhitespace == true { s.removeLast() }
        return String(s)
    }
}
