import AlmanacCore
import AlmanacStore
import Logging
import Synchronization

/// Issues and checks tokens: OAuth 2.0 client credentials (RFC 6749 4.4) on the way in,
/// RFC 8725 verification of every bearer token on the way back.
public final class TokenService: Sendable {
    public struct Configuration: Sendable {
        public var issuer: String
        public var audience: String
        public var lifetimeSeconds: Int
        public var leewaySeconds: Double
        public var maxFailures: Int
        public var failureWindowSeconds: Double
        public var tokenBurst: Double
        public var tokensPerSecond: Double
        public init(
            issuer: String = "almanac", audience: String = "almanac", lifetimeSeconds: Int = 900, leewaySeconds: Double = 60,
            maxFailures: Int = 10, failureWindowSeconds: Double = 300, tokenBurst: Double = 20, tokensPerSecond: Double = 5
        ) {
            self.issuer = issuer
            self.audience = audience
            self.lifetimeSeconds = lifetimeSeconds
            self.leewaySeconds = leewaySeconds
            self.maxFailures = maxFailures
            self.failureWindowSeconds = failureWindowSeconds
            self.tokenBurst = tokenBurst
            self.tokensPerSecond = tokensPerSecond
        }
    }

    /// An RFC 6749 section 5.2 error.
    public struct OAuthError: Error, Sendable, Equatable {
        public var error: String
        public var description: String
        public var status: Int
        public var retryAfter: Int?
        public init(_ error: String, _ description: String, status: Int, retryAfter: Int? = nil) {
            self.error = error
            self.description = description
            self.status = status
            self.retryAfter = retryAfter
        }
    }

    public struct IssuedToken: Sendable {
        public var accessToken: String
        public var expiresIn: Int
        public var scope: String
    }

    public let configuration: Configuration
    public let keyring: Keyring
    let store: Store
    let verifier: JWTVerifier
    let failures: FailureTracker
    let perClient: RateLimiter
    let perAddress: RateLimiter
    private let revoked = Mutex<Set<String>>([])
    private let logger: Logger

    public init(store: Store, keyring: Keyring, configuration: Configuration, logger: Logger) {
        self.store = store
        self.keyring = keyring
        self.configuration = configuration
        self.logger = logger
        verifier = JWTVerifier(issuer: configuration.issuer, audience: configuration.audience, leeway: configuration.leewaySeconds)
        failures = FailureTracker(maxFailures: configuration.maxFailures, windowSeconds: configuration.failureWindowSeconds)
        perClient = RateLimiter(burst: configuration.tokenBurst, ratePerSecond: configuration.tokensPerSecond)
        perAddress = RateLimiter(burst: configuration.tokenBurst * 5, ratePerSecond: configuration.tokensPerSecond * 5)
    }

    /// Loads keys and the revocation list.
    public func start() async throws {
        try await keyring.load()
        try await keyring.unsealSigners()
        let ids = try await store.revokedClientIDs()
        revoked.withLock { $0 = ids }
    }

    public func markRevoked(_ clientID: String) {
        _ = revoked.withLock { $0.insert(clientID) }
    }

    public func isRevoked(_ clientID: String) -> Bool {
        revoked.withLock { $0.contains(clientID) }
    }

    /// The client credentials grant. `scope` narrows the client's scopes.
    public func issue(
        grantType: String?, clientID: String?, clientSecret: String?, scope: String?, remoteAddress: String?
    ) async throws(OAuthError) -> IssuedToken {
        guard let grantType, !grantType.isEmpty else {
            throw OAuthError("invalid_request", "grant_type is required", status: 400)
        }
        guard grantType == "client_credentials" else {
            throw OAuthError("unsupported_grant_type", "only client_credentials is supported", status: 400)
        }
        guard let clientID, !clientID.isEmpty, let clientSecret, !clientSecret.isEmpty else {
            throw OAuthError("invalid_request", "client_id and client_secret are required", status: 400)
        }
        if let address = remoteAddress, let wait = perAddress.acquire(address) {
            throw OAuthError("slow_down", "too many token requests from this address", status: 429, retryAfter: wait)
        }
        if let wait = perClient.acquire(clientID) {
            throw OAuthError("slow_down", "too many token requests for this client", status: 429, retryAfter: wait)
        }
        if let wait = failures.lockedFor(clientID) {
            throw OAuthError("invalid_client", "too many failed attempts; try again later", status: 429, retryAfter: wait)
        }
        let record: ClientRecord?
        do { record = try await store.client(id: clientID) } catch {
            throw OAuthError("server_error", "the client store is unavailable", status: 503)
        }
        // Verify against a dummy hash when the client is unknown so timing does not tell.
        let hash = (try? PasswordHash(encoded: record?.secretHash ?? "")) ?? Self.dummyHash
        let matches = (try? hash.verify(clientSecret)) ?? false
        guard let record, matches, record.revokedAt == nil else {
            if failures.recordFailure(clientID) {
                logger.warning("client locked after repeated failed secret checks", metadata: ["client_id": "\(clientID.prefix(64))"])
            }
            throw OAuthError("invalid_client", "client authentication failed", status: 401)
        }
        var scopes = record.scopes
        if let scope, !scope.trimmingSpaces.isEmpty {
            let requested = scope.split(separator: " ").map(String.init)
            for s in requested where !record.scopes.contains(s) {
                throw OAuthError("invalid_scope", "scope '\(s.prefix(40))' is not granted to this client", status: 400)
            }
            scopes = record.scopes.filter { requested.contains($0) }
        }
        let now = Timestamp.now().seconds
        var claims = JSONObject()
        claims["iss"] = .string(configuration.issuer)
        claims["aud"] = .string(configuration.audience)
        claims["sub"] = .string(record.id)
        claims["client_id"] = .string(record.id)
        claims["tenant"] = .string(record.tenant)
        claims["scope"] = .string(scopes.joined(separator: " "))
        claims["iat"] = .int(now)
        claims["nbf"] = .int(now)
        claims["exp"] = .int(now + Int64(configuration.lifetimeSeconds))
        claims["jti"] = .string(Base64URL.encode((try? SecureRandom.bytes(12)) ?? []))
        do {
            let signer = try await keyring.signer(for: record.tenant)
            let token = try signer.sign(claims)
            return IssuedToken(accessToken: token, expiresIn: configuration.lifetimeSeconds, scope: scopes.joined(separator: " "))
        } catch {
            logger.error("cannot sign a token", metadata: ["error": "\(error)"])
            throw OAuthError("server_error", "cannot sign a token", status: 500)
        }
    }

    /// A verified caller.
    public struct Caller: Sendable {
        public var tenant: String
        public var scopes: Set<String>
        public var clientID: String
    }

    /// Verifies a bearer token (RFC 8725 rules in `JWTVerifier`), then the revocation list.
    public func authenticate(bearer token: String) throws(JWTError) -> Caller {
        let unverified = try verifier.decode(token)
        let tenant = unverified.unverifiedTenant ?? ""
        let key = keyring.publicKey(kid: unverified.kid, tenant: tenant)
        let verified = try verifier.verify(unverified, key: key)
        guard let tenant = verified.tenant, TenantName.isValid(tenant) else {
            throw JWTError(.missingClaim, "the token has no valid tenant")
        }
        guard let clientID = verified.clientID ?? verified.subject else {
            throw JWTError(.missingClaim, "the token names no client")
        }
        if isRevoked(clientID) { throw JWTError(.invalidClaim, "the client of this token is revoked") }
        return Caller(tenant: tenant, scopes: Set(verified.scopes), clientID: clientID)
    }

    static let dummyHash: PasswordHash = try! PasswordHash.create(secret: "almanac-dummy-secret-for-timing")
}

/// Creates and lists API clients (the CLI and `POST /v1/clients` share this).
public struct ClientRegistry: Sendable {
    public let store: Store

    public init(store: Store) { self.store = store }

    public struct Created: Sendable {
        public var clientID: String
        public var clientSecret: String
        public var tenant: String
        public var scopes: [String]
        public var name: String
    }

    public func create(tenant: String, name: String, scopes: [String]) async throws -> Created {
        guard TenantName.isValid(tenant) else { throw AlmanacError.invalidParameter("tenant", TenantName.rule) }
        let trimmed = name.trimmingSpaces
        guard !trimmed.isEmpty, trimmed.unicodeScalars.count <= 200 else {
            throw AlmanacError.invalidParameter("name", "must be 1-200 characters")
        }
        guard !scopes.isEmpty else { throw AlmanacError.invalidParameter("scopes", "must name at least one scope") }
        for scope in scopes where !Scope.all.contains(scope) {
            throw AlmanacError.invalidParameter("scopes", "unknown scope '\(scope.prefix(40))'; scopes are \(Scope.all.joined(separator: " "))")
        }
        let id = "cl_" + Base64URL.encode(try SecureRandom.bytes(12))
        let secret = Base64URL.encode(try SecureRandom.bytes(32))
        let hash = try PasswordHash.create(secret: secret)
        try await store.insertClient(
            ClientRecord(id: id, tenant: tenant, name: trimmed, scopes: scopes, secretHash: hash.encoded, createdAt: .now()))
        return Created(clientID: id, clientSecret: secret, tenant: tenant, scopes: scopes, name: trimmed)
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
