import AlmanacCore
import Synchronization

/// Tokens whose signature this process has already verified, so a client that sends the
/// same bearer token on every call pays one ECDSA verification (about 60 µs) per token
/// rather than per request.
///
/// What is cached is only the outcome of the signature check: a token string, byte for
/// byte, maps to the claims that signature vouched for and the key that made it. Every
/// other rule still runs on every request: the key must still verify (not retired or
/// forgotten), `exp`/`nbf`/`iat`/`iss`/`aud` are checked against the clock, and the caller
/// checks revocation. A lookup needs the exact token, so nothing can be learned or forged
/// through it that the token itself would not allow.
///
/// Memory is bounded: at `capacity` entries, expired ones are dropped, and if that frees
/// less than a quarter, the whole cache is (the next request of each client verifies once).
final class VerifiedTokenCache: Sendable {
    struct Entry: Sendable {
        var kid: String
        var tenant: String
        var claims: JSONObject
        var caller: TokenService.Caller
        /// `exp` plus leeway: after this the entry can only fail.
        var expiresAt: Double
    }

    let capacity: Int
    private let entries = Mutex<[String: Entry]>([:])

    init(capacity: Int = 10_000) {
        self.capacity = max(16, capacity)
    }

    func lookup(_ token: String) -> Entry? {
        entries.withLock { $0[token] }
    }

    func insert(_ token: String, _ entry: Entry, now: Double) {
        entries.withLock { entries in
            if entries.count >= capacity {
                entries = entries.filter { $0.value.expiresAt > now }
                if entries.count >= capacity * 3 / 4 { entries.removeAll(keepingCapacity: true) }
            }
            entries[token] = entry
        }
    }

    func remove(_ token: String) {
        _ = entries.withLock { $0.removeValue(forKey: token) }
    }
}
