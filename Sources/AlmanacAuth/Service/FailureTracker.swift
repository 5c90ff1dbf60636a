import Synchronization

/// Failed secret checks per client in a sliding window (brute-force lockout).
///
/// When `maxFailures` failures fall inside the last `window` seconds the key is locked:
/// every attempt, the right secret included, is refused until the oldest of those failures
/// leaves the window. So a client id can be guessed at most `maxFailures` times per window.
///
/// Memory stays bounded: each key keeps at most `maxFailures` timestamps, and past
/// `maxKeys` keys those with no failure inside the window are dropped.
public final class FailureTracker: Sendable {
    private let failures = Mutex<[String: [Double]]>([:])
    public let maxFailures: Int
    public let window: Double
    public let maxKeys: Int
    private let clock: @Sendable () -> Double

    public init(
        maxFailures: Int, windowSeconds: Double, maxKeys: Int = 100_000,
        clock: @escaping @Sendable () -> Double = RateLimiter.monotonicSeconds
    ) {
        self.maxFailures = max(1, maxFailures)
        self.window = max(0.001, windowSeconds)
        self.maxKeys = max(16, maxKeys)
        self.clock = clock
    }

    /// Whole seconds until `key` may try again (at least 1), or nil when it may try now.
    public func lockedFor(_ key: String) -> Int? {
        let now = clock()
        return failures.withLock { f in
            guard let list = f[key] else { return nil }
            let recent = list.filter { now - $0 < window }
            f[key] = recent.isEmpty ? nil : recent
            guard recent.count >= maxFailures, let oldest = recent.first else { return nil }
            return max(1, Int((oldest + window - now).rounded(.up)))
        }
    }

    /// Records a failure; answers true when this failure locks the key.
    @discardableResult
    public func recordFailure(_ key: String) -> Bool {
        let now = clock()
        return failures.withLock { f in
            if f.count >= maxKeys && f[key] == nil {
                f = f.filter { $0.value.contains { now - $0 < window } }
            }
            var recent = (f[key] ?? []).filter { now - $0 < window }
            recent.append(now)
            if recent.count > maxFailures { recent.removeFirst(recent.count - maxFailures) }
            f[key] = recent
            return recent.count == maxFailures
        }
    }
}
