import Synchronization

/// Token buckets by key (client id, source address): `burst` tokens, refilled at `rate`
/// per second. Answers how long to wait when empty.
public final class RateLimiter: Sendable {
    struct Bucket {
        var tokens: Double
        var updated: Double
    }

    private let buckets = Mutex<[String: Bucket]>([:])
    public let burst: Double
    public let rate: Double
    private let clock: @Sendable () -> Double

    public init(burst: Double, ratePerSecond: Double, clock: @escaping @Sendable () -> Double = RateLimiter.monotonicSeconds) {
        self.burst = max(1, burst)
        self.rate = max(0.001, ratePerSecond)
        self.clock = clock
    }

    /// Takes one token for `key`; nil when allowed, else the seconds until one is available.
    public func acquire(_ key: String, cost: Double = 1) -> Int? {
        let now = clock()
        return buckets.withLock { buckets in
            if buckets.count > 100_000 {
                // Forget full buckets so the map stays bounded.
                buckets = buckets.filter { now - $0.value.updated < burst / rate }
            }
            var bucket = buckets[key] ?? Bucket(tokens: burst, updated: now)
            bucket.tokens = min(burst, bucket.tokens + (now - bucket.updated) * rate)
            bucket.updated = now
            if bucket.tokens >= cost {
                bucket.tokens -= cost
                buckets[key] = bucket
                return nil
            }
            buckets[key] = bucket
            return max(1, Int(((cost - bucket.tokens) / rate).rounded(.up)))
        }
    }

    public static let monotonicSeconds: @Sendable () -> Double = {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}

/// Failed secret checks per client in a sliding window. At `maxFailures` failures the
/// client is locked until the oldest of them leaves the window — right secrets included.
public final class FailureTracker: Sendable {
    private let failures = Mutex<[String: [Double]]>([:])
    public let maxFailures: Int
    public let window: Double
    private let clock: @Sendable () -> Double

    public init(maxFailures: Int, windowSeconds: Double, clock: @escaping @Sendable () -> Double = RateLimiter.monotonicSeconds) {
        self.maxFailures = maxFailures
        self.window = windowSeconds
        self.clock = clock
    }

    /// Seconds until `key` may try again, or nil when it may try now.
    public func lockedFor(_ key: String) -> Int? {
        let now = clock()
        return failures.withLock { f in
            let recent = (f[key] ?? []).filter { now - $0 < window }
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
            var recent = (f[key] ?? []).filter { now - $0 < window }
            recent.append(now)
            f[key] = recent
            return recent.count == maxFailures
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif
