import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Token buckets by key (client id, source address): `burst` tokens, refilled at `rate`
/// per second. Answers how long to wait when empty.
///
/// Memory stays bounded: past `maxKeys` keys, buckets that have refilled completely (and so
/// hold no information) are dropped.
public final class RateLimiter: Sendable {
    struct Bucket {
        var tokens: Double
        var updated: Double
    }

    private let buckets = Mutex<[String: Bucket]>([:])
    public let burst: Double
    public let rate: Double
    public let maxKeys: Int
    private let clock: @Sendable () -> Double

    public init(
        burst: Double, ratePerSecond: Double, maxKeys: Int = 100_000,
        clock: @escaping @Sendable () -> Double = RateLimiter.monotonicSeconds
    ) {
        self.burst = max(1, burst)
        self.rate = max(0.001, ratePerSecond)
        self.maxKeys = max(16, maxKeys)
        self.clock = clock
    }

    /// Takes `cost` tokens for `key`; nil when allowed, else whole seconds until they are
    /// available (at least 1), for `Retry-After`.
    public func acquire(_ key: String, cost: Double = 1) -> Int? {
        let now = clock()
        return buckets.withLock { buckets in
            if buckets.count >= maxKeys {
                let refill = burst / rate
                buckets = buckets.filter { now - $0.value.updated < refill }
            }
            var bucket = buckets[key] ?? Bucket(tokens: burst, updated: now)
            bucket.tokens = min(burst, bucket.tokens + max(0, now - bucket.updated) * rate)
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

    /// Seconds on a monotonic clock (never jumps with the wall clock).
    public static let monotonicSeconds: @Sendable () -> Double = {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}
