public import AlmanacAuth
public import AlmanacCore
import Foundation
public import AlmanacStore

/// Everything an operator can set. Defaults are API.md's; `--config FILE` (JSON with the
/// same snake_case names) and command-line flags override them.
public struct AlmanacConfiguration: Sendable {
    public var dataDirectory: String = "./data"
    public var host: String = "127.0.0.1"
    public var port: Int = 8080
    /// nil: run uncached.
    public var redisURL: String? = "redis://127.0.0.1:6379"
    public var masterKeyFile: String?
    /// Cached responses live this long (a new generation makes them unreachable sooner).
    public var cacheTTLSeconds: Int = 300
    /// The in-process first level of the cache, in bytes (0: Redis only). Keyed like Redis,
    /// so a write invalidates both at once.
    public var nearCacheBytes: Int = 64 << 20
    /// Redis connections in the pool (each with its own `Executors.cacheIO` thread).
    public var cacheConnections: Int = 4

    /// What an acknowledged write survives: `fsync` (default; power loss) or `process`
    /// (the process dying). docs/operations.md measures both.
    public var durability: Durability = .fsync
    /// At most this many concurrent single writes share one commit (1: no group commit).
    public var groupCommitMaxWrites = 256

    public var limits = Limits()
    public var timeouts = Timeouts()
    public var auth = Auth()
    public var index = Index()
    public var events = Events()
    /// Search analytics: the recorder's buffer, flush interval and clock.
    public var analytics = SearchAnalytics.Configuration()

    public struct Limits: Sendable {
        public var bodyBytes = 1 << 20
        public var bulkBodyBytes = 32 << 20
        public var bulkLines = 50_000
        public var queryBytes = 1 << 10
        public var filterBytes = 4 << 10
        public var limitMax = 100
        public var limitDefault = 20
        public var windowMax = 10_000
        public var facetLimitMax = 1000
        public var minSeqWait: Duration = .seconds(5)
        public init() {}

        /// These limits as the request models check them.
        public var request: RequestLimits {
            var l = RequestLimits()
            l.queryBytes = queryBytes
            l.filterBytes = filterBytes
            l.limitMax = limitMax
            l.limitDefault = limitDefault
            l.windowMax = windowMax
            l.facetLimitMax = facetLimitMax
            return l
        }

        /// `_bulk`: the whole body, one transaction (nothing commits before it is all read).
        public var bulk: BulkLimits { BulkLimits(maxBytes: bulkBodyBytes, maxLines: bulkLines, chunkLines: .max) }
        /// `almanac import`: a file of any size, committed in chunks.
        public static let importFile = BulkLimits(maxBytes: nil, maxLines: nil, chunkLines: 10_000)
    }

    /// How long the HTTP edge waits for slow or idle clients (docs/operations.md).
    public struct Timeouts: Sendable {
        /// From the first byte of a request (or from the connection's accept, for its first
        /// request) until its head is complete. Over it: 408 and the connection closes.
        public var headerSeconds = 10.0
        /// The time a body may take beyond what `bodyMinBytesPerSecond` pays for: a body
        /// must arrive within `bodySeconds + received / bodyMinBytesPerSecond` of its head.
        /// Over it: 408 and the connection closes.
        public var bodySeconds = 10.0
        /// The slowest body rate accepted once `bodySeconds` is used up.
        public var bodyMinBytesPerSecond = 1024.0
        /// A keep-alive connection with no request in progress closes after this long.
        public var idleSeconds = 60.0
        public init() {}
    }

    /// Token and client settings; docs/security.md explains each.
    public struct Auth: Sendable {
        public var issuer = "almanac"
        public var audience = "almanac"
        public var tokenLifetimeSeconds = 900
        /// Clock skew tolerated on exp/nbf/iat (the verifier clamps it to 0...60).
        public var leewaySeconds = 60
        /// Token bucket per client on writes.
        public var writeBurst = 200.0
        public var writesPerSecond = 100.0
        /// Token bucket per client id on the token endpoint.
        public var tokenBurst = 20.0
        public var tokensPerSecond = 5.0
        /// Token bucket per source address on the token endpoint.
        public var tokenAddressBurst = 100.0
        public var tokenAddressPerSecond = 25.0
        /// Failed secret checks per client before lockout, and the window.
        public var maxFailures = 10
        public var failureWindowSeconds = 300
        /// How stale the revoked-client list may be before a request reloads it from the
        /// store (what makes `almanac client revoke` reach a running server).
        public var revocationRefreshSeconds = 1.0
        /// Monotonic seconds for rate limits and lockouts; nil is the system's monotonic
        /// clock. Tests inject a manual one.
        public var clock: (@Sendable () -> Double)? = nil
        public init() {}

        /// These settings as the token service takes them.
        public var tokenService: TokenService.Configuration {
            TokenService.Configuration(
                issuer: issuer, audience: audience, lifetimeSeconds: tokenLifetimeSeconds, leewaySeconds: Double(leewaySeconds),
                maxFailures: maxFailures, failureWindowSeconds: Double(failureWindowSeconds), tokenBurst: tokenBurst,
                tokensPerSecond: tokensPerSecond, addressBurst: tokenAddressBurst, addressTokensPerSecond: tokenAddressPerSecond,
                revocationRefreshSeconds: revocationRefreshSeconds, clock: clock ?? RateLimiter.monotonicSeconds)
        }
    }

    public struct Index: Sendable {
        public var readers = 4
        /// How many shard databases the product index has (`--product-shards`,
        /// `index_product_shards`). nil: the index's own S, or one per core for a new index.
        /// Another S than the index's is refused until `almanac reindex products` rebuilds it.
        public var productShards: Int?
        public var batchSize = 2000
        public var pollInterval: Duration = .milliseconds(500)
        /// How often the product indexer deletes the change-log rows it has applied.
        public var pruneInterval: Duration = .seconds(1)
        public init() {}
    }

    public struct Events: Sendable {
        /// Events older than this many days are dropped (whole months); 0 keeps everything.
        public var retentionDays = 0
        public init() {}
    }

    public init() {}

    public var storePath: String { dataDirectory + "/almanac.sqlite3" }
    /// The product index: a directory of shard databases (`ProductIndexShards`).
    public var productIndexPath: String { dataDirectory + "/index/products" }
    public var productSlotsPath: String { dataDirectory + "/index/products.slots.json" }
    public var eventIndexDirectory: String { dataDirectory + "/index/events" }
    public var eventSlotsPath: String { eventIndexDirectory + "/slots.json" }

    /// How the store is opened under these settings.
    public var storeOptions: StoreOptions {
        var options = StoreOptions()
        options.durability = durability
        options.groupCommitLimit = groupCommitMaxWrites
        return options
    }

    /// Applies a JSON config file over these values. Unknown keys are an error.
    public mutating func apply(configFile path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw AlmanacError(.badRequest, "cannot read config file \(path)")
        }
        let value: JSONValue
        do { value = try JSONParser.parse(Array(data)) } catch {
            throw AlmanacError(.malformedJSON, "config file \(path): \(error)")
        }
        guard case .object(let o) = value else { throw AlmanacError(.badRequest, "config file must hold a JSON object") }
        for entry in o {
            switch (entry.key, entry.value) {
            case ("data", .string(let s)): dataDirectory = s
            case ("host", .string(let s)): host = s
            case ("port", let v) where v.integerValue != nil: port = Int(v.integerValue!)
            case ("redis", .string(let s)): redisURL = s
            case ("redis", .null): redisURL = nil
            case ("master_key_file", .string(let s)): masterKeyFile = s
            case ("durability", .string(let s)):
                guard let d = Durability(rawValue: s) else {
                    throw AlmanacError(.badRequest, "config file \(path): durability must be \"fsync\" or \"process\", got '\(s.prefix(32))'")
                }
                durability = d
            case ("group_commit_max_writes", let v) where v.integerValue.map({ (1...10_000).contains($0) }) == true:
                groupCommitMaxWrites = Int(v.integerValue!)
            case ("header_timeout_seconds", let v) where v.numberValue.map({ $0 > 0 }) == true: timeouts.headerSeconds = v.numberValue!
            case ("body_timeout_seconds", let v) where v.numberValue.map({ $0 > 0 }) == true: timeouts.bodySeconds = v.numberValue!
            case ("body_min_bytes_per_second", let v) where v.numberValue.map({ $0 > 0 }) == true:
                timeouts.bodyMinBytesPerSecond = v.numberValue!
            case ("idle_timeout_seconds", let v) where v.numberValue.map({ $0 > 0 }) == true: timeouts.idleSeconds = v.numberValue!
            case ("cache_ttl_seconds", let v) where v.integerValue != nil: cacheTTLSeconds = Int(v.integerValue!)
            case ("cache_connections", let v) where v.integerValue.map({ (1...64).contains($0) }) == true:
                cacheConnections = Int(v.integerValue!)
            case ("near_cache_bytes", let v) where v.integerValue.map({ $0 >= 0 }) == true: nearCacheBytes = Int(v.integerValue!)
            case ("token_lifetime_seconds", let v) where v.integerValue.map({ (60...86_400).contains($0) }) == true:
                auth.tokenLifetimeSeconds = Int(v.integerValue!)
            case ("issuer", .string(let s)): auth.issuer = s
            case ("audience", .string(let s)): auth.audience = s
            case ("retention_days", let v) where v.integerValue != nil: events.retentionDays = Int(v.integerValue!)
            case ("analytics_buffer", let v) where v.integerValue.map({ $0 >= 1 }) == true:
                analytics.capacity = Int(v.integerValue!)
            case ("body_limit_bytes", let v) where v.integerValue != nil: limits.bodyBytes = Int(v.integerValue!)
            case ("bulk_body_limit_bytes", let v) where v.integerValue != nil: limits.bulkBodyBytes = Int(v.integerValue!)
            case ("bulk_lines", let v) where v.integerValue != nil: limits.bulkLines = Int(v.integerValue!)
            case ("index_readers", let v) where v.integerValue != nil: index.readers = max(1, Int(v.integerValue!))
            case ("index_product_shards", let v) where v.integerValue.map({ (1...256).contains($0) }) == true:
                index.productShards = Int(v.integerValue!)
            case ("writes_per_second", let v) where v.numberValue != nil: auth.writesPerSecond = v.numberValue!
            case ("write_burst", let v) where v.numberValue != nil: auth.writeBurst = v.numberValue!
            case ("leeway_seconds", let v) where v.integerValue.map({ (0...60).contains($0) }) == true:
                auth.leewaySeconds = Int(v.integerValue!)
            case ("token_burst", let v) where v.numberValue != nil: auth.tokenBurst = v.numberValue!
            case ("tokens_per_second", let v) where v.numberValue != nil: auth.tokensPerSecond = v.numberValue!
            case ("token_address_burst", let v) where v.numberValue != nil: auth.tokenAddressBurst = v.numberValue!
            case ("token_address_per_second", let v) where v.numberValue != nil: auth.tokenAddressPerSecond = v.numberValue!
            case ("max_failed_secret_checks", let v) where v.integerValue.map({ $0 >= 1 }) == true:
                auth.maxFailures = Int(v.integerValue!)
            case ("failure_window_seconds", let v) where v.integerValue.map({ $0 >= 1 }) == true:
                auth.failureWindowSeconds = Int(v.integerValue!)
            case ("revocation_refresh_seconds", let v) where v.numberValue.map({ $0 >= 0 }) == true:
                auth.revocationRefreshSeconds = v.numberValue!
            default:
                throw AlmanacError(.badRequest, "config file \(path): unknown or mistyped key '\(entry.key)'")
            }
        }
    }
}
