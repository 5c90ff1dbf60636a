import AlmanacCore
import Foundation
import HTTPTypes
import Synchronization
import Testing

@testable import AlmanacApp
import AlmanacServer

/// A clock a test moves by hand (search analytics stamps searches with it).
final class AnalyticsClock: Sendable {
    private let value: Mutex<Timestamp>
    init(_ start: String) { value = Mutex(try! Timestamp(rfc3339: start)) }
    var now: Timestamp { value.withLock { $0 } }
    func advance(seconds: Int64) { value.withLock { $0 = Timestamp(microseconds: $0.microseconds + seconds * 1_000_000) } }
}

/// Search analytics (API.md, "Search analytics"): product searches rolled up per tenant,
/// second and distinct (q, zero_results, corrected) into `search.performed` events on the
/// searching tenant's own timeline.
@Suite struct SearchAnalyticsTests {
    static let start = "2026-11-20T10:00:00.250Z"

    /// A catalogue with a fixed analytics clock: the background flush never writes the
    /// current second, so a test flushes by hand when it has searched.
    static func withRecorder(
        redis: RedisMode = .none, capacity: Int = 10_000,
        _ body: @Sendable (TestApp, String, String, AnalyticsClock) async throws -> Void
    ) async throws {
        let clock = AnalyticsClock(start)
        try await TestApp.run(redis: redis, configure: { c in
            c.analytics.clock = { clock.now }
            c.analytics.capacity = capacity
        }) { app in
            let tenant = TestApp.tenant("an")
            let token = try await app.token(tenant: tenant)
            let reply = try await app.bulk("/v1/products/_bulk", miniCatalogue, token: token)
            #expect(reply["accepted"] == 8)
            try await body(app, tenant, token, clock)
        }
    }

    /// Writes the roll-ups, lets the timeline index them, answers this tenant's search events
    /// (oldest first, then by q).
    static func recorded(_ app: TestApp, token: String) async throws -> [JSONValue] {
        try await app.services.catalogue.analytics.flush(before: nil)
        try await app.services.timeline.catchUp()
        let filter = Timeline.q(#"type = "search.performed""#)
        let reply = try await app.get("/v1/events/search?filter=\(filter)&sort=occurred_at:asc&limit=100", token: token)
        #expect(reply.status == 200, "\(reply.text.prefix(300))")
        return (reply["events"]?.arrayValue ?? []).sorted {
            let a = ($0["occurred_at"]?.stringValue ?? "", $0.at("attributes.q")?.stringValue ?? "")
            let b = ($1["occurred_at"]?.stringValue ?? "", $1.at("attributes.q")?.stringValue ?? "")
            return a < b
        }
    }

    @Test func eventsHaveTheDocumentedShape() async throws {
        try await Self.withRecorder { app, tenant, token, _ in
            _ = await app.search("q=%20%20Steel%20%20KETTLE%20", token: token)
            _ = await app.search("q=kettel", token: token)
            _ = await app.search("q=zzyzx+qwxv", token: token)
            _ = await app.search("filter=brand+%3D+%22Acme%22", token: token)  // no q: browsing, not recorded
            let events = try await Self.recorded(app, token: token)
            #expect(events.count == 3, "\(events.map { JSONWriter.string($0) })")
            for e in events {
                #expect(e["type"] == "search.performed")
                #expect(e["source"] == "almanac.search")
                #expect(e["occurred_at"] == "2026-11-20T10:00:00Z")
                let keys = Set(e["attributes"]?.objectValue?.keys ?? [])
                #expect(keys.isSubset(of: ["q", "searches", "zero_results", "corrected", "took_ms_max", "hits_cache"]), "\(keys)")
                #expect(e.at("attributes.searches") == 1)
                #expect(e.at("attributes.hits_cache") == 0)
                #expect((e.at("attributes.took_ms_max")?.numberValue ?? -1) >= 0)
            }
            let byQ = Dictionary(uniqueKeysWithValues: events.map { ($0.at("attributes.q")?.stringValue ?? "", $0) })
            #expect(byQ["steel kettle"]?.at("attributes.zero_results") == false)
            #expect(byQ["steel kettle"]?.at("attributes.corrected") == nil)
            #expect(byQ["kettel"]?.at("attributes.corrected") == "kettle")
            #expect(byQ["kettel"]?.at("attributes.zero_results") == false)
            #expect(byQ["zzyzx qwxv"]?.at("attributes.zero_results") == true)
            // On the searching tenant's timeline only.
            let other = try await app.token(tenant: TestApp.tenant("other"))
            let foreign = try await app.get("/v1/events/search?filter=\(Timeline.q(#"type = "search.performed""#))", token: other)
            #expect(foreign.at("total.value") == 0)
            _ = tenant
        }
    }

    /// Many searches become one event per second and distinct (q, zero_results, corrected);
    /// cache hits are counted, and the popular-queries request of API.md sums them exactly.
    @Test func searchesRollUpPerSecondAndDistinctQuery() async throws {
        try await Self.withRecorder(redis: .shared) { app, _, token, clock in
            for _ in 0..<5 { _ = await app.search("q=kettle", token: token) }
            for _ in 0..<2 { _ = await app.search("q=Kettle%20", token: token) }  // the same query, normalised
            _ = await app.search("q=kettle&limit=5", token: token)  // other parameters, the same q
            _ = await app.search("q=toaster", token: token)
            clock.advance(seconds: 1)
            _ = await app.search("q=kettle", token: token)
            let events = try await Self.recorded(app, token: token)
            let summary = events.map {
                "\($0["occurred_at"]?.stringValue ?? "") \($0.at("attributes.q")?.stringValue ?? "") \($0.at("attributes.searches")?.integerValue ?? -1) \($0.at("attributes.hits_cache")?.integerValue ?? -1)"
            }
            // "kettle": one miss and four hits, "Kettle ": a miss and a hit, limit=5 a miss.
            #expect(summary == [
                "2026-11-20T10:00:00Z kettle 8 5",
                "2026-11-20T10:00:00Z toaster 1 0",
                "2026-11-20T10:00:01Z kettle 1 1",
            ])
            #expect(app.services.catalogue.analytics.pendingEntries == 0)

            let popular = try await app.aggregate(
                #"{"from": "2026-11-20T00:00:00Z", "to": "2026-11-21T00:00:00Z", "filter": "type = \"search.performed\"", "aggs": {"popular": {"terms": {"field": "attributes.q", "size": 10, "sum": "attributes.searches"}}}}"#,
                token: token)
            #expect(popular.status == 200, "\(popular.text.prefix(300))")
            let buckets = popular.at("aggs.popular.buckets")?.arrayValue ?? []
            #expect(buckets.map { $0["key"]?.stringValue ?? "" } == ["kettle", "toaster"])
            #expect(buckets.map { $0["count"]?.integerValue ?? -1 } == [9, 1])
        }
    }

    /// One flush writes every tenant's roll-ups, each on its own timeline.
    @Test func oneFlushServesEveryTenant() async throws {
        try await Self.withRecorder { app, _, token, _ in
            let second = try await app.token(tenant: TestApp.tenant("an2"))
            try await app.bulk("/v1/products/_bulk", miniCatalogue, token: second)
            _ = await app.search("q=kettle", token: token)
            _ = await app.search("q=bench", token: second)
            _ = await app.search("q=bench", token: second)
            #expect(try await app.services.catalogue.analytics.flush(before: nil) == 2)
            try await app.services.timeline.catchUp()
            let mine = try await Self.recorded(app, token: token)
            let theirs = try await Self.recorded(app, token: second)
            #expect(mine.map { $0.at("attributes.q")?.stringValue ?? "" } == ["kettle"])
            #expect(theirs.map { $0.at("attributes.q")?.stringValue ?? "" } == ["bench"])
            #expect(theirs.first?.at("attributes.searches") == 2)
        }
    }

    @Test func zeroResultQueriesAreOneFilterAway() async throws {
        try await Self.withRecorder { app, _, token, _ in
            for q in ["nothing+here", "nothing+here", "kettle", "zzyzx"] { _ = await app.search("q=\(q)", token: token) }
            _ = try await Self.recorded(app, token: token)
            let reply = try await app.aggregate(
                #"{"filter": "type = \"search.performed\" AND attributes.zero_results = true", "aggs": {"zero": {"terms": {"field": "attributes.q", "size": 10, "sum": "attributes.searches"}}}}"#,
                token: token)
            #expect(reply.status == 200, "\(reply.text.prefix(300))")
            let buckets = reply.at("aggs.zero.buckets")?.arrayValue ?? []
            #expect(buckets.map { $0["key"]?.stringValue ?? "" } == ["nothing here", "zzyzx"])
            #expect(buckets.map { $0["count"]?.integerValue ?? -1 } == [2, 1])
        }
    }

    @Test func analyticsFalseInTheSettingsTurnsItOff() async throws {
        try await Self.withRecorder { app, _, token, clock in
            let off = try await app.request(.put, "/v1/settings", token: token, json: #"{"analytics": false}"#)
            #expect(off.status == 200, "\(off.text)")
            #expect(off["analytics"] == false)
            #expect(try await app.get("/v1/settings", token: token)["analytics"] == false)
            _ = await app.search("q=kettle", token: token)
            #expect(try await Self.recorded(app, token: token).isEmpty)

            let on = try await app.request(.put, "/v1/settings", token: token, json: #"{"analytics": true}"#)
            #expect(on["analytics"] == true)
            clock.advance(seconds: 1)
            _ = await app.search("q=toaster", token: token)
            #expect(try await Self.recorded(app, token: token).map { $0.at("attributes.q")?.stringValue ?? "" } == ["toaster"])

            let bad = try await app.request(.put, "/v1/settings", token: token, json: #"{"analytics": "no"}"#)
            #expect(bad.isProblem(400, mentioning: "analytics"))
            // The default is on.
            let other = try await app.token(tenant: TestApp.tenant())
            #expect(try await app.get("/v1/settings", token: other)["analytics"] == true)
        }
    }

    /// A full buffer drops new entries (never blocking a search), counts them in /metrics,
    /// and keeps counting the entries it holds.
    @Test func aFullBufferDropsAndCountsInMetrics() async throws {
        try await Self.withRecorder(capacity: 2) { app, _, token, _ in
            let before = try await app.get("/metrics", token: nil)
            #expect(before.text.contains("almanac_search_analytics_dropped_total 0"), "\(before.text.prefix(2000))")
            for q in ["kettle", "toaster", "bench", "glass", "kettle"] {
                let reply = await app.search("q=\(q)", token: token)
                #expect(reply.status == 200)
            }
            let analytics = app.services.catalogue.analytics
            #expect(analytics.pendingEntries == 2)
            #expect(analytics.droppedSearches == 2)
            let metrics = try await app.get("/metrics", token: nil)
            #expect(metrics.text.contains("almanac_search_analytics_dropped_total 2"), "\(metrics.text.prefix(3000))")
            let events = try await Self.recorded(app, token: token)
            #expect(events.map { "\($0.at("attributes.q")?.stringValue ?? "") \($0.at("attributes.searches")?.integerValue ?? 0)" } == ["kettle 2", "toaster 1"])
        }
    }

    /// Without a fixed clock the service writes by itself, within a couple of seconds.
    @Test func theBackgroundServiceWritesWithinSeconds() async throws {
        try await TestApp.run(redis: .none) { app in
            let token = try await app.token(tenant: TestApp.tenant("bg"))
            try await app.bulk("/v1/products/_bulk", miniCatalogue, token: token)
            _ = await app.search("q=kettle", token: token)
            let filter = Timeline.q(#"type = "search.performed""#)
            var found = JSONValue.null
            for _ in 0..<100 {
                let reply = try await app.get("/v1/events/search?filter=\(filter)", token: token)
                if reply.at("total.value") == 1 {
                    found = reply.at("events.0") ?? .null
                    break
                }
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(found.at("attributes.q") == "kettle", "no search.performed event within 10 s")
        }
    }

    /// The cache keeps the facts in front of the body: a hit is tallied from a few header
    /// bytes, and what is served is the JSON alone, the same bytes as the miss.
    @Test func cachedAnswersCarryTheirFactsAndServeTheSameBody() async throws {
        let header = SearchFacts(zeroResults: false, corrected: "kettle").header
        let stored = header + Array(#"{"hits":[]"#.utf8)
        let (facts, start) = SearchFacts.read(stored)
        #expect(facts == SearchFacts(zeroResults: false, corrected: "kettle"))
        #expect(Array(stored[start...]) == Array(#"{"hits":[]"#.utf8))
        #expect(SearchFacts.read(Array(#"{"hits":[]"#.utf8)).facts == nil)
        #expect(SearchFacts.read([0x00, 0x46, 3, 0, 0, 0, 99]).facts == nil, "a damaged header is no header")

        try await Self.withRecorder(redis: .shared) { app, _, token, _ in
            let miss = await app.search("q=kettel", token: token)
            let hit = await app.search("q=kettel", token: token)
            #expect(miss["cache"] == "miss" && hit["cache"] == "hit")
            #expect(miss.bytes.first == UInt8(ascii: "{") && hit.bytes.first == UInt8(ascii: "{"))
            func withoutTail(_ r: Reply) -> String { String(r.text.prefix(upTo: r.text.range(of: ",\"took_ms\"")!.lowerBound)) }
            #expect(withoutTail(miss) == withoutTail(hit))
            let events = try await Self.recorded(app, token: token)
            #expect(events.count == 1)
            #expect(events.first?.at("attributes.corrected") == "kettle")
            #expect(events.first?.at("attributes.hits_cache") == 1)
            #expect(events.first?.at("attributes.searches") == 2)
        }
    }

    @Test func queriesAreNormalised() {
        #expect(SearchAnalytics.normalise("  Steel\t\tKETTLE \n") == "steel kettle")
        #expect(SearchAnalytics.normalise("   ") == "")
        #expect(SearchAnalytics.normalise("Ünïcode  Straße") == "ünïcode straße")
    }
}
