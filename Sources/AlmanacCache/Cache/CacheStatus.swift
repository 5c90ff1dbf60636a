/// How a response was produced, reported as `"cache"` in search and aggregate responses.
public enum CacheStatus: String, Sendable, Hashable {
    /// Served from Redis, bytes as stored.
    case hit
    /// Not in Redis: computed (and stored).
    case miss
    /// No cache configured, or Redis down or failing: computed, not stored.
    case off
}
