import AlmanacCore
import AlmanacServer
import Foundation
import Testing
import HTTPTypes

/// `/metrics` as Prometheus reads it: `promtool check metrics` (Debian `prometheus`,
/// installed by scripts/install-deps.sh) passes it without a word, every family is there
/// from the start, and the figures an operator needs are in it.
@Suite struct MetricsTests {
    /// Runs `promtool check metrics` on `body`: its exit status and what it printed.
    static func promtool(_ body: String) throws -> (status: Int32, output: String) {
        let candidates = ["/usr/bin/promtool", "/usr/local/bin/promtool"]
        guard let path = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            Issue.record("promtool is not installed: scripts/install-deps.sh installs it (Debian package prometheus)")
            return (-1, "")
        }
        let file = TestApp.temporaryDirectory() + "/metrics.txt"
        try Data(body.utf8).write(to: URL(fileURLWithPath: file))
        defer { try? FileManager.default.removeItem(atPath: file) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = ["check", "metrics"]
        process.standardInput = try FileHandle(forReadingFrom: URL(fileURLWithPath: file))
        let out = Pipe()
        process.standardOutput = out
        process.standardError = out
        try process.run()
        let output = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }

    @Test func promtoolPassesTheBodyWithoutAWarning() async throws {
        try await TestApp.run(redis: .none) { app in
            // Fresh: before any request but this one.
            let fresh = try await app.get("/metrics", token: nil)
            #expect(fresh.headers[.contentType] == "text/plain; version=0.0.4; charset=utf-8")
            let (status, output) = try Self.promtool(fresh.text)
            #expect(status == 0 && output.isEmpty, "promtool: \(status) \(output)")

            // And after traffic of every kind.
            let token = try await app.token(tenant: TestApp.tenant("prom"))
            try await app.putProduct("p1", #"{"title":"Kettle"}"#, token: token)
            _ = try await app.get("/v1/products/search?q=kettle", token: token)
            _ = try await app.request(.delete, "/v1/products/search", token: token)
            _ = try await app.get("/nowhere", token: nil)
            let busy = try await app.get("/metrics", token: nil)
            let (status2, output2) = try Self.promtool(busy.text)
            #expect(status2 == 0 && output2.isEmpty, "promtool: \(status2) \(output2)")
        }
    }

    @Test func everyFamilyIsPresentFromTheStartWithHelpAndAFinalNewline() async throws {
        try await TestApp.run(redis: .none) { app in
            let body = try await app.get("/metrics", token: nil).text
            #expect(body.hasSuffix("\n"))
            for family in AppMetrics.families {
                #expect(body.contains("# HELP \(family.name) "), "no HELP for \(family.name)")
                #expect(body.contains("# TYPE \(family.name) \(family.kind.rawValue)\n"), "no TYPE for \(family.name)")
            }
            // Zero-valued series for the fixed label sets.
            for line in [
                #"almanac_cache_lookups_total{status="hit"} 0"#, #"almanac_cache_lookups_total{status="miss"} 0"#,
                "almanac_cache_errors_total 0", #"almanac_http_timeouts_total{phase="header"} 0"#,
                #"almanac_storage_fault{component="store"} 0.0"#, #"almanac_index_documents{index="products"} 0.0"#,
            ] {
                #expect(body.contains(line + "\n"), "missing \(line)")
            }
        }
    }

    @Test func processIndexCacheAndRouteFigures() async throws {
        try await TestApp.run { app in
            let token = try await app.token(tenant: TestApp.tenant("fig"))
            try await app.bulk("/v1/products/_bulk", try Fixtures.lines("products_2k.ndjson", count: 50), token: token)
            _ = try await app.get("/v1/products/search?q=lib", token: token)
            _ = try await app.get("/v1/products/search?q=lib", token: token)
            let body = try await app.get("/metrics", token: nil).text
            func value(_ series: String) -> Double? {
                body.split(separator: "\n").first { $0.hasPrefix(series + " ") }.flatMap { Double($0.split(separator: " ").last!) }
            }
            #expect((value("process_cpu_seconds_total") ?? 0) > 0)
            #expect((value("process_resident_memory_bytes") ?? 0) > 10_000_000)
            #expect((value("process_open_fds") ?? 0) > 3)
            #expect((value("process_max_fds") ?? 0) >= (value("process_open_fds") ?? 0))
            let start = value("process_start_time_seconds") ?? 0
            #expect(abs(start - Date().timeIntervalSince1970) < 3600, "start time \(start)")
            #expect(value(#"almanac_index_documents{index="products"}"#) == 50)
            // Each product write also appends a product.created event.
            #expect(value(#"almanac_index_documents{index="events"}"#) == 50)
            #expect((value(#"almanac_index_size_bytes{index="products"}"#) ?? 0) > 10_000)
            #expect(value(#"almanac_index_lag_seq{index="products"}"#) == 0)
            #expect(value(#"almanac_index_lag_seconds{index="products"}"#) == 0)
            #expect(value(#"almanac_cache_lookups_total{status="miss"}"#) == 1)
            #expect(value(#"almanac_cache_lookups_total{status="hit"}"#) == 1)
            // Both levels: the repeat is a near hit; the first missed near, then Redis.
            #expect(value(#"almanac_near_cache_lookups_total{result="hit"}"#) == 1)
            #expect(value(#"almanac_near_cache_lookups_total{result="miss"}"#) == 1)
            #expect(value(#"almanac_redis_cache_lookups_total{result="miss"}"#) == 1)
            #expect(value(#"almanac_redis_cache_lookups_total{result="hit"}"#) == 0)
            #expect(value("almanac_near_cache_entries") == 1)
            #expect((value("almanac_near_cache_bytes") ?? 0) > 100)
            #expect(body.contains(#"almanac_http_request_duration_seconds_count{route="/v1/products/search",method="GET"} 2"#), "\(body)")
            #expect(body.contains(#"almanac_http_request_duration_seconds_bucket{route="/v1/products/_bulk",method="POST",le="+Inf"} 1"#))
        }
    }
}
