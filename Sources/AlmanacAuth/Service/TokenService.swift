import AlmanacCore
public import AlmanacStore
public import Logging
import Synchronization

/// Issues and checks tokens: OAuth 2.0 client credentials (RFC 6749 §4.4) on the way in,
/// RFC 8725 verification of every bearer token on the way back (`TokenService+Verify`).
public final class TokenService: Sendable {
    public struct Configuration: Sendable {
        public var issuer: String
        public var audience: String
        /// Lifetime of an issued token (`exp - iat`), seconds.
        public var lifetimeSeconds: Int
        /// Clock skew tolerated on `exp`, `nbf`, `iat` (clamped to 0...60 by the verifier).
        public var leewaySeconds: Double
        /// Failed secret checks per client inside `failureWindowSeconds` before lockout.
        public var maxFailures: Int
        public var failureWindowSeconds: Double
        /// Token-endpoint bucket per client id.
        public var tokenBurst: Double
        public var tokensPerSecond: Double
        /// Token-endpoint bucket per source address.
        public var addressBurst: Double
        public var addressTokensPerSecond: Double
        /// How stale the in-memory list of revoked clients may get before a request reloads
        /// it from the store (revocations by another process, e.g. `almanac client revoke`).
        public var revocationRefreshSeconds: Double
        /// Monotonic seconds for rate limits, lockouts and revocation refreshes (tests
        /// inject a manual clock).
        public var clock: @Sendable () -> Double

        public init(
            issuer: String = "almanac", audience: String = "almanac", lifetimeSeconds: Int = 900, leewaySeconds: Double = 60,
            maxFailures: Int = 10, failureWindowSeconds: Double = 300, tokenBurst: Double = 20, tokensPerSecond: Double = 5,
            addressBurst: Double = 100, addressTokensPerSecond: Double = 25, revocationRefreshSeconds: Double = 1,
            clock: @escaping @Sendable () -> Double = RateLimiter.monotonicSeconds
        ) {
            self.issuer = issuer
            self.audience = audience
            self.lifetimeSeconds = lifetimeSeconds
            self.leewaySeconds = leewaySeconds
            self.maxFailures = maxFailures
            self.failureWindowSeconds = failureWindowSeconds
            self.tokenBurst = tokenBurst
            self.tokensPerSecond = tokensPerSecond
            self.addressBurst = addressBurst
            self.addressTokensPerSecond = addressTokensPerSecond
            self.revocationRefreshSeconds = revocationRefreshSeconds
            self.clock = clock
        }
    }

    /// An RFC 6749 §5.2 error (`error`, `error_description`), with its HTTP status.
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

        static func invalidClient(_ why: String = "client authentication failed") -> OAuthError {
            OAuthError("invalid_client", why, status: 401)
        }
    }

    public struct IssuedToken: Sendable {
        public var accessToken: String
        public var expiresIn: Int
        public var scope: String
    }

    /// Longest client id looked at; longer ones fail authentication without touching
    /// the store or the lockout table.
    static let maxClientIDLength = 128

    public let configuration: Configuration
    public let keyring: Keyring
    public let clients: ClientRegistry
    public let blocking: BlockingWork
    let store: Store
    let verifier: JWTVerifier
    let failures: FailureTracker
    let perClient: RateLimiter
    let perAddress: RateLimiter
    let revocation = Mutex(RevocationList())
    let verifiedTokens = VerifiedTokenCache()
    let logger: Logger

    public init(
        store: Store, keyring: Keyring, configuration: Configuration, blocking: BlockingWork = .inline, logger: Logger
    ) {
        self.store = store
        self.keyring = keyring
        self.configuration = configuration
        self.blocking = blocking
        self.logger = logger
        clients = ClientRegistry(store: store, blocking: blocking)
        verifier = JWTVerifier(issuer: configuration.issuer, audience: configuration.audience, leeway: configuration.leewaySeconds)
        failures = FailureTracker(
            maxFailures: configuration.maxFailures, windowSeconds: configuration.failureWindowSeconds, clock: configuration.clock)
        perClient = RateLimiter(burst: configuration.tokenBurst, ratePerSecond: configuration.tokensPerSecond, clock: configuration.clock)
        perAddress = RateLimiter(
            burst: configuration.addressBurst, ratePerSecond: configuration.addressTokensPerSecond, clock: configuration.clock)
    }

    /// Loads keys (unsealing the signers: a wrong master key fails here), forgets retired
    /// keys, and loads the revocation list.
    public func start() async throws {
        try await keyring.load()
        try await keyring.forgetRetiredKeys()
        let ids = try await store.revokedClientIDs()
        let now = configuration.clock()
        revocation.withLock { $0 = RevocationList(ids: ids, loadedAt: now, sweptAt: now) }
    }

    /// Seconds an old key keeps verifying after a rotation: the longest a token it signed
    /// can still be valid.
    public var keyRetirementSeconds: Int { configuration.lifetimeSeconds + Int(verifier.leeway.rounded(.up)) }

    /// The client credentials grant. `scope` (space-separated) narrows the client's scopes.
    ///
    /// Order of checks: source-address bucket, request shape, per-client bucket, lockout,
    /// then the secret (scrypt, off the caller's thread; an unknown client is checked
    /// against a dummy hash so timing does not tell which ids exist), then the scope.
    public func issue(
        grantType: String?, clientID: String?, clientSecret: String?, scope: String?, remoteAddress: String?
    ) async throws(OAuthError) -> IssuedToken {
        if let address = remoteAddress, let wait = perAddress.acquire(address) {
            logger.notice("token endpoint rate limit for an address", metadata: ["address": "\(address)"])
            throw OAuthError("slow_down", "too many token requests from this address", status: 429, retryAfter: wait)
        }
        guard let grantType, !grantType.isEmpty else {
            throw OAuthError("invalid_request", "grant_type is required", status: 400)
        }
        guard grantType == "client_credentials" else {
            throw OAuthError("unsupported_grant_type", "only client_credentials is supported", status: 400)
        }
        guard let clientID, !clientID.isEmpty, let clientSecret, !clientSecret.isEmpty else {
            throw OAuthError.invalidClient("client authentication is required (client_id and client_secret, or HTTP Basic)")
        }
        guard clientID.utf8.count <= Self.maxClientIDLength else { throw OAuthError.invalidClient() }
        let logID = Logger.MetadataValue.string(Self.logSafe(clientID))
        if let wait = perClient.acquire(clientID) {
            logger.notice("token endpoint rate limit for a client", metadata: ["client_id": logID])
            throw OAuthError("slow_down", "too many token requests for this client", status: 429, retryAfter: wait)
        }
        if let wait = failures.lockedFor(clientID) {
            logger.notice("token request refused: client locked after failed secret checks", metadata: ["client_id": logID])
            throw OAuthError("invalid_client", "too many failed authentication attempts; retry later", status: 429, retryAfter: wait)
        }
        let record: ClientRecord?
        do { record = try await store.client(id: clientID) } catch {
            logger.error("client store unavailable", metadata: ["error": "\(error)"])
            throw OAuthError("server_error", "the client store is unavailable", status: 503, retryAfter: 1)
        }
        let hash = (try? PasswordHash(encoded: record?.secretHash ?? "")) ?? Self.dummyHash
        let matches: Bool
        do { matches = try await blocking.run { try hash.verify(clientSecret) } } catch {
            logger.error("secret check failed to run", metadata: ["error": "\(error)"])
            throw OAuthError("server_error", "the secret check failed", status: 500)
        }
        guard let record, matches, record.revokedAt == nil else {
            let locked = failures.recordFailure(clientID)
            var metadata: Logger.Metadata = ["client_id": logID, "address": "\(remoteAddress ?? "-")"]
            if let record, record.revokedAt != nil { metadata["revoked"] = "true" }
            if locked {
                metadata["failures"] = "\(failures.maxFailures)"
                metadata["window_seconds"] = "\(Int(failures.window))"
                logger.warning("client locked out after repeated failed secret checks", metadata: metadata)
            } else {
                logger.info("client authentication failed", metadata: metadata)
            }
            throw OAuthError.invalidClient()
        }
        let scopes = try narrowedScopes(granted: record.scopes, requested: scope)
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
            logger.debug("token issued", metadata: ["client_id": logID, "tenant": "\(record.tenant)", "kid": "\(signer.kid)"])
            return IssuedToken(accessToken: token, expiresIn: configuration.lifetimeSeconds, scope: scopes.joined(separator: " "))
        } catch {
            logger.error("cannot sign a token", metadata: ["error": "\(error)"])
            throw OAuthError("server_error", "cannot sign a token", status: 500)
        }
    }

    /// RFC 6749 §3.3: the requested scopes, each of which the client must hold; all of the
    /// client's scopes when none are requested. Order follows the client's list.
    func narrowedScopes(granted: [String], requested: String?) throws(OAuthError) -> [String] {
        guard let requested else { return granted }
        let asked = requested.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        if asked.isEmpty { return granted }
        for s in asked where !granted.contains(s) {
            let shown = String(s.unicodeScalars.filter { $0.isASCII && $0.value >= 0x21 && $0.value != 0x22 && $0.value != 0x5C }.prefix(40))
            throw OAuthError(
                "invalid_scope",
                Scope(rawValue: s) != nil ? "scope '\(shown)' is not granted to this client" : "unknown scope '\(shown)'",
                status: 400)
        }
        return granted.filter { asked.contains($0) }
    }

    /// Revokes a client: in the store, and at once for this process's verifier. With
    /// `tenant`, only a client of that tenant. False when there is no such client.
    public func revoke(clientID: String, tenant: String?) async throws -> Bool {
        guard try await store.revokeClient(id: clientID, tenant: tenant, at: .now()) else { return false }
        markRevoked(clientID)
        logger.notice("client revoked", metadata: ["client_id": "\(Self.logSafe(clientID))", "tenant": "\(tenant ?? "any")"])
        return true
    }

    /// A caller-supplied identifier as it may appear in a log line: printable ASCII
    /// without quotes or backslashes, at most 128 characters (no forged log lines).
    static func logSafe(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.prefix(128).map {
            $0.isASCII && $0.value >= 0x21 && $0.value < 0x7F && $0 != "\"" && $0 != "\\" ? $0 : "?"
        }))
    }

    static let dummyHash: PasswordHash = {
        // A fixed, well-formed hash with the default parameters; no secret matches it
        // except this random one, which is discarded.
        guard let secret = try? SecureRandom.bytes(32), let hash = try? PasswordHash.create(secret: secret) else {
            fatalError("cannot build the dummy password hash: the OpenSSL DRBG or scrypt is unavailable")
        }
        return hash
    }()
}
