public import Prometheus

/// The service's own Prometheus registry, rendered at `/metrics`.
public final class AppMetrics: Sendable {
    public let registry = PrometheusCollectorRegistry()

    public init() {}

    public func request(route: String, method: String, status: Int, seconds: Double) {
        registry.makeCounter(
            name: "almanac_http_requests_total", labels: [("route", route), ("method", method), ("status", String(status))]
        ).increment()
        registry.makeDurationHistogram(
            name: "almanac_http_request_duration_seconds", labels: [("route", route)],
            buckets: [.milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25),
                      .milliseconds(50), .milliseconds(100), .milliseconds(250), .seconds(1)]
        ).record(.nanoseconds(Int64(seconds * 1e9)))
    }

    public func cache(_ status: String) {
        registry.makeCounter(name: "almanac_cache_lookups_total", labels: [("status", status)]).increment()
    }

    /// Product searches search analytics could not record (its buffer was full).
    public func searchAnalyticsDropped(_ searches: Int) {
        registry.makeCounter(name: "almanac_search_analytics_dropped_total").increment(by: Int64(searches))
    }

    public func gauge(_ name: String, _ value: Double, labels: [(String, String)] = []) {
        registry.makeGauge(name: name, labels: labels).set(value)
    }

    public func render() -> [UInt8] { registry.emitToBuffer() }
}
