import AlmanacStore
import AlmanacCore
import Foundation

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

    public var limits = Limits()
    public var auth = Auth()
    public var index = Index()
    public var events = Events()

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
    }

    public struct Auth: Sendable {
        public var issuer = "almanac"
        public var audience = "almanac"
        public var tokenLifetimeSeconds = 900
        public var leewaySeconds = 60
        /// Token bucket per client on writes.
        public var writeBurst = 200.0
        public var writesPerSecond = 100.0
        /// Token bucket per client and per source address on the token endpoint.
        public var tokenBurst = 20.0
        public var tokensPerSecond = 5.0
        /// Failed secret checks per client before lockout, and the window.
        public var maxFailures = 10
        public var failureWindowSeconds = 300
        public init() {}
    }

    public struct Index: Sendable {
        public var readers = 4
        public var batchSize = 2000
        public var pollInterval: Duration = .milliseconds(500)
        public init() {}
    }

    public struct Events: Sendable {
        /// Events older than this many days are dropped (whole months); 0 keeps everything.
        public var retentionDays = 0
        public init() {}
    }

    public init() {}

    public var storePath: String { dataDirectory + "/almanac.sqlite3" }
    public var productIndexPath: String { dataDirectory + "/index/products" }
    public var eventIndexDirectory: String { dataDirectory + "/index/events" }

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
            case ("cache_ttl_seconds", let v) where v.integerValue != nil: cacheTTLSeconds = Int(v.integerValue!)
            case ("token_lifetime_seconds", let v) where v.integerValue != nil: auth.tokenLifetimeSeconds = Int(v.integerValue!)
            case ("issuer", .string(let s)): auth.issuer = s
            case ("audience", .string(let s)): auth.audience = s
            case ("retention_days", let v) where v.integerValue != nil: events.retentionDays = Int(v.integerValue!)
            case ("body_limit_bytes", let v) where v.integerValue != nil: limits.bodyBytes = Int(v.integerValue!)
            case ("bulk_body_limit_bytes", let v) where v.integerValue != nil: limits.bulkBodyBytes = Int(v.integerValue!)
            case ("bulk_lines", let v) where v.integerValue != nil: limits.bulkLines = Int(v.integerValue!)
            case ("index_readers", let v) where v.integerValue != nil: index.readers = max(1, Int(v.integerValue!))
            case ("writes_per_second", let v) where v.numberValue != nil: auth.writesPerSecond = v.numberValue!
            case ("write_burst", let v) where v.numberValue != nil: auth.writeBurst = v.numberValue!
            default:
                throw AlmanacError(.badRequest, "config file \(path): unknown or mistyped key '\(entry.key)'")
            }
        }
    }
}
