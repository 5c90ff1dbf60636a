import Logging
import Synchronization
import AlmanacCore
import AlmanacStore

/// The set of revoked client ids as this process knows it.
struct RevocationList: Sendable {
    var ids: Set<String> = []
    /// Monotonic time the store was last read (the read started then).
    var loadedAt: Double = -.infinity
    /// Monotonic time retired keys were last swept.
    var sweptAt: Double = -.infinity
    var refreshing: Task<Void, Never>?
}

extension TokenService {
    /// A verified caller.
    public struct Caller: Sendable {
        public var tenant: String
        public var scopes: Set<Scope>
        public var clientID: String
    }

    /// Verifies a bearer token, then the client's revocation.
    ///
    /// RFC 8725 rules are `JWTVerifier`'s (ES256 only, `kid` required, compact form, size
    /// limits, signature before claims, `exp`/`nbf`/`iat` with leeway, `iss`, `aud`). The
    /// key is looked up by `kid` among the keys of the token's own tenant only, so a key of
    /// tenant A can never vouch for a token that names tenant B. Scopes outside the known
    /// set are dropped.
    ///
    /// Revocation: revoking through this process takes effect at once; a revocation by
    /// another process (`almanac client revoke`) is seen by the first request that starts
    /// more than `revocationRefreshSeconds` after it, because a request that finds the list
    /// older than that reloads it from the store before answering (one reload at a time).
    ///
    /// A token whose signature verified before skips the decoding and the ECDSA check
    /// (`VerifiedTokenCache`); the key's validity, the time and registered claims and the
    /// revocation are checked on every call all the same.
    public func authenticate(bearer token: String) async throws(JWTError) -> Caller {
        let caller = try verifiedCaller(token)
        let revoked = await revokedClients()
        if revoked.contains(caller.clientID) { throw JWTError(.invalidClaim, "token's client is revoked") }
        return caller
    }

    private func verifiedCaller(_ token: String) throws(JWTError) -> Caller {
        if let entry = verifiedTokens.lookup(token) {
            guard keyring.publicKey(kid: entry.kid, tenant: entry.tenant) != nil else {
                verifiedTokens.remove(token)
                throw JWTError(.unknownKey, "token is signed with an unknown key")
            }
            try verifier.validateClaims(entry.claims)
            return entry.caller
        }
        let unverified = try verifier.decode(token)
        let tenant = unverified.unverifiedTenant ?? ""
        let key = TenantName.isValid(tenant) ? keyring.publicKey(kid: unverified.kid, tenant: tenant) : nil
        let verified = try verifier.verify(unverified, key: key)
        guard let tenant = verified.tenant, TenantName.isValid(tenant) else {
            throw JWTError(.missingClaim, "token has no valid tenant")
        }
        guard let clientID = verified.clientID ?? verified.subject, !clientID.isEmpty else {
            throw JWTError(.missingClaim, "token names no client")
        }
        let caller = Caller(tenant: tenant, scopes: Set(verified.scopes.compactMap(Scope.init(rawValue:))), clientID: clientID)
        let expiresAt = (verified.claims["exp"]?.numberValue ?? 0) + verifier.leeway
        verifiedTokens.insert(
            token, .init(kid: verified.kid, tenant: tenant, claims: verified.claims, caller: caller, expiresAt: expiresAt),
            now: verifier.clock())
        return caller
    }

    /// Marks a client revoked in this process (the store was already updated).
    public func markRevoked(_ clientID: String) {
        revocation.withLock { _ = $0.ids.insert(clientID) }
    }

    /// Whether this process currently knows `clientID` as revoked (no reload).
    public func isRevoked(_ clientID: String) -> Bool {
        revocation.withLock { $0.ids.contains(clientID) }
    }

    /// The revoked ids, reloaded from the store first when the list is stale.
    func revokedClients() async -> Set<String> {
        let now = configuration.clock()
        let (ids, reload): (Set<String>, Task<Void, Never>?) = revocation.withLock { list in
            if now - list.loadedAt < configuration.revocationRefreshSeconds { return (list.ids, nil) }
            if let running = list.refreshing { return (list.ids, running) }
            let task = Task { await self.reloadRevocations() }
            list.refreshing = task
            return (list.ids, task)
        }
        guard let reload else { return ids }
        await reload.value
        return revocation.withLock { $0.ids }
    }

    /// Reads the revoked ids from the store (a revocation is permanent, so the sets are
    /// merged), and at most hourly forgets retired signing keys.
    func reloadRevocations() async {
        let started = configuration.clock()
        do {
            let ids = try await store.revokedClientIDs()
            revocation.withLock { list in
                list.ids.formUnion(ids)
                list.loadedAt = started
                list.refreshing = nil
            }
        } catch {
            // Keep the list we have and retry after the interval.
            logger.error("cannot reload revoked clients", metadata: ["error": "\(error)"])
            revocation.withLock { list in
                list.loadedAt = started
                list.refreshing = nil
            }
        }
        let sweep: Bool = revocation.withLock { list in
            guard started - list.sweptAt >= 3600 else { return false }
            list.sweptAt = started
            return true
        }
        if sweep {
            do {
                let forgotten = try await keyring.forgetRetiredKeys()
                if !forgotten.isEmpty { logger.notice("forgot retired signing keys", metadata: ["kids": "\(forgotten)"]) }
            } catch {
                logger.error("cannot forget retired signing keys", metadata: ["error": "\(error)"])
            }
        }
    }
}
