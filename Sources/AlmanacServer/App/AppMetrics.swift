import AlmanacStore
import Foundation
public import Prometheus
import Synchronization

/// The service's own Prometheus registry, rendered at `/metrics`.
///
/// Every family is declared once in ``families`` with its help text and type, so the body
/// passes `promtool check metrics`: `# HELP` and `# TYPE` for every family, every family
/// present from the start (unlabeled ones and those with a fixed label set at zero; the
/// per-route ones as `# HELP`/`# TYPE` until a request fills them), and a final newline.
public final class AppMetrics: Sendable {
    public let registry = PrometheusCollectorRegistry()

    public enum Kind: String, Sendable {
        case counter, gauge, histogram
    }

    /// Every family the service exports: name, type, help.
    public static let families: [(name: String, kind: Kind, help: String)] = [
        ("almanac_http_requests_total", .counter, "HTTP requests answered, by route template, method and status (499: the client closed the connection first)."),
        ("almanac_http_request_duration_seconds", .histogram, "Time to answer an HTTP request, by route template and method."),
        ("almanac_http_timeouts_total", .counter, "Connections the HTTP edge closed for slow or idle clients, by phase (header, body, idle)."),
        ("almanac_cache_lookups_total", .counter, "Search and aggregate responses by cache outcome (hit, miss, off: computed without Redis)."),
        ("almanac_cache_errors_total", .counter, "Redis commands of the query cache that failed."),
        ("almanac_near_cache_lookups_total", .counter, "Lookups in the in-process near cache, by result (hit, miss)."),
        ("almanac_near_cache_evictions_total", .counter, "Answers the near cache dropped to stay within its byte budget."),
        ("almanac_near_cache_bytes", .gauge, "Bytes the near cache holds (answers, keys and bookkeeping)."),
        ("almanac_near_cache_entries", .gauge, "Answers the near cache holds."),
        ("almanac_redis_cache_lookups_total", .counter, "Lookups that reached Redis (after a near-cache miss), by result (hit, miss)."),
        ("almanac_redis_up", .gauge, "1 when the Redis query cache answers, 0 when it is down or not configured."),
        ("almanac_store_head_seq", .gauge, "The highest sequence number committed to the store."),
        ("almanac_products_indexed_seq", .gauge, "The sequence number the product index has applied."),
        ("almanac_events_indexed_seq", .gauge, "The sequence number the event index has applied."),
        ("almanac_index_documents", .gauge, "Documents in each index."),
        ("almanac_index_size_bytes", .gauge, "Bytes on disk of each index."),
        ("almanac_index_lag_seq", .gauge, "Committed sequence numbers each index has not applied yet."),
        ("almanac_index_lag_seconds", .gauge, "Age of the oldest committed write each index has not applied yet (0 when caught up)."),
        ("almanac_storage_fault", .gauge, "1 while a part of the data directory cannot take writes (full, over quota or failing), by component."),
        ("almanac_store_commits_total", .counter, "Commits of single writes (group commit: one commit can hold several writes)."),
        ("almanac_store_grouped_writes_total", .counter, "Single writes committed through group commit."),
        ("almanac_search_analytics_dropped_total", .counter, "Product searches search analytics could not record (its buffer was full)."),
        ("process_cpu_seconds_total", .counter, "User and system CPU time spent by the process, in seconds."),
        ("process_resident_memory_bytes", .gauge, "Resident memory of the process, in bytes."),
        ("process_virtual_memory_bytes", .gauge, "Virtual memory of the process, in bytes."),
        ("process_open_fds", .gauge, "File descriptors the process has open."),
        ("process_max_fds", .gauge, "The process's limit on open file descriptors."),
        ("process_start_time_seconds", .gauge, "When the process started, in seconds since the Unix epoch."),
    ]

    static let help: [String: String] = Dictionary(uniqueKeysWithValues: families.map { ($0.name, $0.help) })

    static let durationBuckets: [Duration] = [
        .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
        .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5), .seconds(10),
    ]

    /// Values last exported for counters that mirror a total kept elsewhere.
    private let mirrored = Mutex([String: Double]())

    public init() {
        for status in ["hit", "miss", "off"] { counter("almanac_cache_lookups_total", [("status", status)]) }
        for result in ["hit", "miss"] {
            counter("almanac_near_cache_lookups_total", [("result", result)])
            counter("almanac_redis_cache_lookups_total", [("result", result)])
        }
        for phase in EdgeTimeout.Phase.allCases { counter("almanac_http_timeouts_total", [("phase", phase.rawValue)]) }
        for component in StorageComponent.allCases { gauge("almanac_storage_fault", 0, [("component", component.rawValue)]) }
        for index in ["products", "events"] {
            for name in ["almanac_index_documents", "almanac_index_size_bytes", "almanac_index_lag_seq", "almanac_index_lag_seconds"] {
                gauge(name, 0, [("index", index)])
            }
        }
        for name in [
            "almanac_cache_errors_total", "almanac_near_cache_evictions_total", "almanac_store_commits_total", "almanac_store_grouped_writes_total",
            "almanac_search_analytics_dropped_total", "process_cpu_seconds_total",
        ] {
            counter(name, [])
        }
        for name in [
            "almanac_redis_up", "almanac_near_cache_bytes", "almanac_near_cache_entries", "almanac_store_head_seq", "almanac_products_indexed_seq", "almanac_events_indexed_seq",
            "process_resident_memory_bytes", "process_virtual_memory_bytes", "process_open_fds", "process_max_fds",
            "process_start_time_seconds",
        ] {
            gauge(name, 0)
        }
        ProcessFigures.read().map { gauge("process_start_time_seconds", $0.startTimeSeconds) }
    }

    @discardableResult
    private func counter(_ name: String, _ labels: [(String, String)]) -> Counter {
        registry.makeCounter(name: name, labels: labels, help: Self.help[name] ?? "")
    }

    public func request(route: String, method: String, status: Int, seconds: Double) {
        counter("almanac_http_requests_total", [("route", route), ("method", method), ("status", String(status))]).increment()
        registry.makeDurationHistogram(
            name: "almanac_http_request_duration_seconds", labels: [("route", route), ("method", method)],
            buckets: Self.durationBuckets, help: Self.help["almanac_http_request_duration_seconds"]!
        ).record(.nanoseconds(Int64(seconds * 1e9)))
    }

    public func cache(_ status: String) {
        counter("almanac_cache_lookups_total", [("status", status)]).increment()
    }

    public func edgeTimeout(_ phase: EdgeTimeout.Phase) {
        counter("almanac_http_timeouts_total", [("phase", phase.rawValue)]).increment()
    }

    /// Product searches search analytics could not record (its buffer was full).
    public func searchAnalyticsDropped(_ searches: Int) {
        counter("almanac_search_analytics_dropped_total", []).increment(by: Int64(searches))
    }

    public func gauge(_ name: String, _ value: Double, _ labels: [(String, String)] = []) {
        registry.makeGauge(name: name, labels: labels, help: Self.help[name] ?? "").set(value)
    }

    /// Sets a counter to a total counted elsewhere (it only ever grows).
    public func mirror(_ name: String, _ total: Double, _ labels: [(String, String)] = []) {
        let series = name + labels.map { "|\($0.0)=\($0.1)" }.joined()
        let delta: Double = mirrored.withLock { values in
            let last = values[series] ?? 0
            guard total > last else { return 0 }
            values[series] = total
            return total - last
        }
        guard delta > 0 else { return }
        // Whole counts stay integers in the exposition ("12", not "12.0").
        if delta == delta.rounded(), delta < 9e15 {
            counter(name, labels).increment(by: Int64(delta))
        } else {
            counter(name, labels).increment(by: delta)
        }
    }

    /// Refreshes the process figures from `/proc`.
    func updateProcess() {
        guard let p = ProcessFigures.read() else { return }
        mirror("process_cpu_seconds_total", p.cpuSeconds)
        gauge("process_resident_memory_bytes", p.residentBytes)
        gauge("process_virtual_memory_bytes", p.virtualBytes)
        gauge("process_open_fds", p.openFDs)
        gauge("process_max_fds", p.maxFDs)
    }

    /// The exposition body: the registry's families, `# HELP`/`# TYPE` for declared
    /// families that have no series yet, and a final newline.
    public func render() -> [UInt8] {
        var body = registry.emitToBuffer()
        let text = String(decoding: body, as: UTF8.self)
        for family in Self.families where !text.contains("# TYPE \(family.name) ") {
            body.append(contentsOf: "# HELP \(family.name) \(family.help)\n# TYPE \(family.name) \(family.kind.rawValue)\n".utf8)
        }
        if body.last != UInt8(ascii: "\n") { body.append(UInt8(ascii: "\n")) }
        return body
    }
}

/// The process's own figures, from `/proc/self` (Linux).
struct ProcessFigures {
    var cpuSeconds: Double
    var residentBytes: Double
    var virtualBytes: Double
    var openFDs: Double
    var maxFDs: Double
    var startTimeSeconds: Double

    static func read() -> ProcessFigures? {
        guard let stat = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return nil }
        // Fields after "(comm)": state is field 3; utime 14, stime 15, starttime 22, vsize 23, rss 24.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        func field(_ n: Int) -> Double { n - 3 < fields.count ? Double(fields[n - 3]) ?? 0 : 0 }
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        let page = Double(sysconf(Int32(_SC_PAGESIZE)))
        var bootTime = 0.0
        if let procStat = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
            let line = procStat.split(separator: "\n").first(where: { $0.hasPrefix("btime ") })
        {
            bootTime = Double(line.dropFirst(6).trimmingCharacters(in: .whitespaces)) ?? 0
        }
        let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? 0
        var limit = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        return ProcessFigures(
            cpuSeconds: (field(14) + field(15)) / ticks, residentBytes: field(24) * page, virtualBytes: field(23),
            openFDs: Double(max(0, fds - 1)), maxFDs: Double(limit.rlim_cur), startTimeSeconds: bootTime + field(22) / ticks)
    }
}
