import AlmanacCore
import Foundation
import Testing

@testable import AlmanacApp
@testable import AlmanacServer
import AlmanacIndex

@Suite struct TimelineAggregateTests {
    /// Bucket counts keyed by the bucket's UTC start, computed with Foundation's Calendar.
    static func dailyCounts(_ events: [Event], zone: TimeZone) -> [String: Int] {
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = zone
        var out: [String: Int] = [:]
        for e in events {
            let start = cal.startOfDay(for: Date(timeIntervalSince1970: Double(e.occurredAt.microseconds) / 1e6))
            out[Timestamp(microseconds: Int64(start.timeIntervalSince1970) * 1_000_000).rfc3339, default: 0] += 1
        }
        return out
    }

    static func buckets(_ reply: Reply, _ name: String) -> [JSONValue] {
        reply.at("aggs.\(name).buckets")?.arrayValue ?? []
    }

    @Test func dailyHistogramInUTCHasEveryDayOfTheRange() async throws {
        try await Timeline.withFixture { app, token in
            let reply = try await app.aggregate(
                #"{"from": "2024-01-01T00:00:00Z", "to": "2024-05-01T00:00:00Z", "aggs": {"per_day": {"date_histogram": {"interval": "day"}}}}"#,
                token: token)
            #expect(reply.status == 200, "\(reply.text.prefix(300))")
            let buckets = Self.buckets(reply, "per_day")
            #expect(buckets.count == 121)  // Jan 31 + Feb 29 + Mar 31 + Apr 30
            let expected = Self.dailyCounts(Timeline.matching(from: "2024-01-01T00:00:00Z", to: "2024-05-01T00:00:00Z"), zone: TimeZone(identifier: "UTC")!)
            for b in buckets {
                let key = b["key"]!.stringValue!
                #expect(b["count"]!.integerValue! == Int64(expected[key] ?? 0), "\(key)")
            }
            #expect(buckets.first?["key"] == "2024-01-01T00:00:00Z")
            #expect(buckets.contains { $0["count"] == 0 })
            #expect(reply["total"]?.integerValue == Int64(Timeline.matching(from: "2024-01-01T00:00:00Z", to: "2024-05-01T00:00:00Z").count))
            #expect(reply["cache"] == "off")
            #expect(reply["took_ms"]?.numberValue != nil)
        }
    }

    /// Europe/Berlin around both 2024 changes: days of 23 and 25 hours, keys at local midnight.
    @Test(arguments: [("2024-03-25T00:00:00+01:00", "2024-04-08T00:00:00+02:00"), ("2024-10-20T00:00:00+02:00", "2024-11-03T00:00:00+01:00")])
    func dailyHistogramInBerlinFollowsDaylightSaving(_ from: String, _ to: String) async throws {
        try await Timeline.withFixture { app, token in
            let body = #"{"from": "\#(from)", "to": "\#(to)", "aggs": {"d": {"date_histogram": {"interval": "day", "time_zone": "Europe/Berlin"}}, "h": {"date_histogram": {"interval": "hour", "time_zone": "Europe/Berlin"}}}}"#
            let reply = try await app.aggregate(body, token: token)
            #expect(reply.status == 200, "\(reply.text.prefix(300))")
            let days = Self.buckets(reply, "d")
            #expect(days.count == 14)
            let expected = Self.dailyCounts(Timeline.matching(from: from, to: to), zone: TimeZone(identifier: "Europe/Berlin")!)
            for b in days {
                #expect(b["count"]!.integerValue! == Int64(expected[b["key"]!.stringValue!] ?? 0), "\(b)")
            }
            let keys = days.map { Timeline.t($0["key"]!.stringValue!) }
            let lengths = Set(zip(keys.dropFirst(), keys).map { ($0 - $1) / 3_600_000_000 })
            #expect(lengths == [24, 23] || lengths == [24, 25])
            #expect(Self.buckets(reply, "h").count == 14 * 24 + (lengths.contains(23) ? -1 : 1))
            #expect(Self.buckets(reply, "h").reduce(0) { $0 + ($1["count"]?.integerValue ?? 0) } == reply["total"]?.integerValue)
        }
    }

    @Test func splitSeriesCountTheTopValuesOverTheWholeRangeAndOther() async throws {
        try await Timeline.withFixture { app, token in
            let reply = try await app.aggregate(
                #"{"from": "2024-02-01T00:00:00Z", "to": "2024-03-01T00:00:00Z", "aggs": {"weekly": {"date_histogram": {"interval": "week", "time_zone": "+02:00", "split_by": {"field": "source", "size": 3}}}}}"#,
                token: token)
            #expect(reply.status == 200, "\(reply.text.prefix(300))")
            let events = Timeline.matching(from: "2024-02-01T00:00:00Z", to: "2024-03-01T00:00:00Z")
            var bySource: [String: Int] = [:]
            for e in events { bySource[e.source, default: 0] += 1 }
            let top = bySource.sorted { $0.value != $1.value ? $0.value > $1.value : Array($0.key.utf8).lexicographicallyPrecedes(Array($1.key.utf8)) }
                .prefix(3).map(\.key)
            let buckets = Self.buckets(reply, "weekly")
            // Every bucket lists the top values in order, then `other`.
            for b in buckets { #expect(b["split"]?.objectValue?.map(\.key) == top + ["other"]) }
            #expect(buckets.count == 5)  // Mondays 00:00+02:00 from Jan 29 to Feb 26
            #expect(buckets.first?["key"] == "2024-01-28T22:00:00Z")
            var sums: [String: Int64] = [:]
            for b in buckets {
                let split = b["split"]!.objectValue!
                let total = split.reduce(Int64(0)) { $0 + ($1.value.integerValue ?? 0) }
                #expect(total == b["count"]!.integerValue!)
                for entry in split { sums[entry.key, default: 0] += entry.value.integerValue! }
            }
            for key in top { #expect(sums[key] == Int64(bySource[key]!)) }
            #expect(sums["other"] == Int64(events.count - top.reduce(0) { $0 + bySource[$1]! }))
        }
    }

    /// A value literally named `other` cannot be a split key (the object would have two
    /// `other` entries): it is counted in `other`, and the next value is listed instead.
    @Test func aSplitValueNamedOtherIsCountedInOther() async throws {
        try await TestApp.run { app in
            let token = try await app.token(tenant: TestApp.tenant("split"))
            var lines: [String] = []
            for (type, n) in [("other", 5), ("commit", 3), ("release", 2), ("tag", 1)] {
                for i in 0..<n {
                    lines.append(
                        #"{"id": "\#(type)-\#(i)", "type": "\#(type)", "source": "s", "occurred_at": "2024-01-01T0\#(i):00:00Z", "message": "m"}"#)
                }
            }
            let bulk = try await app.bulk("/v1/events/_bulk", lines.joined(separator: "\n"), token: token)
            #expect(bulk["accepted"] == 11, "\(bulk.text)")
            try await app.services.timeline.catchUp()
            let reply = try await app.aggregate(
                #"{"from": "2024-01-01T00:00:00Z", "to": "2024-01-02T00:00:00Z", "aggs": {"d": {"date_histogram": {"interval": "day", "split_by": {"field": "type", "size": 2}}}}}"#,
                token: token)
            #expect(reply.status == 200, "\(reply.text.prefix(300))")
            let split = try #require(Self.buckets(reply, "d").first?["split"]?.objectValue)
            #expect(split.map(\.key) == ["commit", "release", "other"])
            #expect(split["commit"] == 3)
            #expect(split["release"] == 2)
            #expect(split["other"] == 6)  // five named "other" and one "tag"
        }
    }

    @Test func termsStatsAndPercentilesShareOnePassAndAreExact() async throws {
        try await Timeline.withFixture { app, token in
            let filter = #"source IN [\"vapor/vapor\", \"apple/swift-nio\", \"groue/GRDB.swift\"]"#
            let reply = try await app.aggregate(
                #"{"filter": "\#(filter)", "aggs": {"actors": {"terms": {"field": "actor", "size": 5}}, "churn": {"stats": {"field": "attributes.insertions"}}, "lat": {"percentiles": {"field": "attributes.files_changed", "percents": [50, 95, 99, 100]}}, "domains": {"terms": {"field": "attributes.email_domain", "size": 1000}}}}"#,
                token: token)
            #expect(reply.status == 200, "\(reply.text.prefix(400))")
            let events = Timeline.events.filter { ["vapor/vapor", "apple/swift-nio", "groue/GRDB.swift"].contains($0.source) }
            #expect(reply["total"]?.integerValue == Int64(events.count))

            // Byte for byte: "Gwendal Roué" appears in two Unicode spellings, two keys.
            var actors: [[UInt8]: Int] = [:]
            for e in events { actors[Array(e.actor!.utf8), default: 0] += 1 }
            let ranked = actors.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key.lexicographicallyPrecedes($1.key) }
                .map { (key: String(decoding: $0.key, as: UTF8.self), value: $0.value) }
            let got = Self.buckets(reply, "actors")
            #expect(got.map { $0["key"]!.stringValue! } == ranked.prefix(5).map(\.key))
            #expect(got.map { Int($0["count"]!.integerValue!) } == ranked.prefix(5).map(\.value))
            #expect(reply.at("aggs.actors.other_count")?.integerValue == Int64(events.count - ranked.prefix(5).reduce(0) { $0 + $1.value }))
            #expect(reply.at("aggs.actors.missing_count") == 0)

            let insertions = events.map { $0.attributes["insertions"]!.numberValue! }
            #expect(reply.at("aggs.churn.count")?.integerValue == Int64(insertions.count))
            #expect(reply.at("aggs.churn.sum")?.numberValue == insertions.reduce(0, +))
            #expect(reply.at("aggs.churn.min")?.numberValue == insertions.min())
            #expect(reply.at("aggs.churn.max")?.numberValue == insertions.max())
            #expect(abs((reply.at("aggs.churn.avg")?.numberValue ?? 0) - insertions.reduce(0, +) / Double(insertions.count)) < 1e-9)

            let files = events.map { $0.attributes["files_changed"]!.numberValue! }.sorted()
            func rank(_ p: Double) -> Double { files[Int((p * Double(files.count) / 100).rounded(.up)) - 1] }
            #expect(reply.at("aggs.lat.values.50")?.numberValue == rank(50))
            #expect(reply.at("aggs.lat.values.95")?.numberValue == rank(95))
            #expect(reply.at("aggs.lat.values.99")?.numberValue == rank(99))
            #expect(reply.at("aggs.lat.values.100")?.numberValue == files.last)
            #expect(reply.at("aggs.lat.approximate") == false)

            let domains = Self.buckets(reply, "domains")
            #expect(domains.reduce(0) { $0 + ($1["count"]?.integerValue ?? 0) } == Int64(events.count))
        }
    }

    /// Ties in counts are ordered by key, bytewise.
    @Test func termsTiesAreOrderedByKey() async throws {
        try await TestApp.run(redis: .none) { app in
            let token = try await app.token(tenant: TestApp.tenant())
            let lines = ["b", "a", "B", "c", "a", "b", "c", "Z"].enumerated().map { i, actor in
                #"{"id":"e\#(i)","type":"x","source":"s","actor":"\#(actor)","occurred_at":"2024-01-01T00:00:0\#(i)Z"}"#
            } + [#"{"id":"none","type":"x","source":"s","occurred_at":"2024-01-02T00:00:00Z"}"#]
            try await app.bulk("/v1/events/_bulk", lines.joined(separator: "\n"), token: token)
            let reply = try await app.aggregate(#"{"aggs": {"t": {"terms": {"field": "actor", "size": 4}}}}"#, token: token)
            #expect(Self.buckets(reply, "t").map { $0["key"]!.stringValue! } == ["a", "b", "c", "B"])
            #expect(reply.at("aggs.t.other_count") == 1)
            #expect(reply.at("aggs.t.missing_count") == 1)
        }
    }

    /// With `q` the aggregation runs over the index's matches; without, over the columns:
    /// the same question answered both ways agrees.
    @Test func aggregationsWithQAgreeWithTheColumnPath() async throws {
        try await Timeline.withFixture { app, token in
            let tenant = Timeline.tenant
            let body = #"{"q": "fix", "from": "2024-03-15T00:00:00Z", "to": "2024-04-15T00:00:00Z", "filter": "attributes.insertions < 200", "aggs": {"d": {"date_histogram": {"interval": "day", "time_zone": "Europe/Berlin", "split_by": {"field": "type", "size": 2}}}, "t": {"terms": {"field": "source", "size": 7}}, "s": {"stats": {"field": "attributes.deletions"}}, "p": {"percentiles": {"field": "attributes.insertions"}}}}"#
            let reply = try await app.aggregate(body, token: token)
            #expect(reply.status == 200, "\(reply.text.prefix(300))")
            let request = try EventAggregateRequest(json: try JSONParser.parse(body))
            // The same matches without q: the ids the search returns, then the columns path through an id-free filter.
            let viaIndex = try await app.services.timeline.searcher.aggregate(request, tenant: tenant, settings: .default, forceIndex: true)
            #expect(viaIndex.path == "index")
            #expect(Int64(viaIndex.total) == reply["total"]?.integerValue)
            var noQ = request
            noQ.q = nil
            let columns = try await app.services.timeline.searcher.aggregate(noQ, tenant: tenant, settings: .default)
            let index = try await app.services.timeline.searcher.aggregate(noQ, tenant: tenant, settings: .default, forceIndex: true)
            #expect(columns.path == "columns")
            #expect(index.path == "index")
            #expect(columns.total == index.total)
            #expect(EventRendering.aggregate(columns) == EventRendering.aggregate(index))
        }
    }

    static let badBodies: [(String, String)] = [
        (#"{}"#, "aggs"),
        (#"{"aggs": []}"#, "aggs"),
        (#"{"aggs": {"x": {"histogram": {"interval": "day"}}}}"#, "unknown aggregation kind"),
        (#"{"aggs": {"x": {"terms": {"field": "actor"}, "stats": {"field": "attributes.a"}}}}"#, "exactly one"),
        (#"{"aggs": {"x": {"date_histogram": {"interval": "fortnight"}}}}"#, "interval"),
        (#"{"aggs": {"x": {"date_histogram": {}}}}"#, "interval"),
        (#"{"aggs": {"x": {"date_histogram": {"interval": "1w"}}}}"#, "interval"),
        (#"{"from": "2024-01-01T00:00:00Z", "to": "2024-03-01T00:00:00Z", "aggs": {"x": {"date_histogram": {"interval": "minute"}}}}"#, "10000"),
        (#"{"from": "2024-01-01T00:00:00Z", "to": "2024-01-02T00:00:00Z", "aggs": {"x": {"date_histogram": {"interval": "5s"}}}}"#, "10000"),
        (#"{"aggs": {"x": {"date_histogram": {"interval": "day", "time_zone": "Mars/Olympus"}}}}"#, "time zone"),
        (#"{"aggs": {"x": {"date_histogram": {"interval": "day", "time_zone": "+25:00"}}}}"#, "time_zone"),
        (#"{"aggs": {"x": {"terms": {"field": "actor", "size": 1001}}}}"#, "size"),
        (#"{"aggs": {"x": {"terms": {"field": "actor", "size": 0}}}}"#, "size"),
        (#"{"aggs": {"x": {"date_histogram": {"interval": "day", "split_by": {"field": "type", "size": 5000}}}}}"#, "size"),
        (#"{"aggs": {"x": {"terms": {"field": "message"}}}}"#, "not a string field"),
        (#"{"aggs": {"x": {"terms": {"field": "colour"}}}}"#, "colour"),
        (#"{"aggs": {"x": {"percentiles": {"field": "attributes.insertions", "percents": [0]}}}}"#, "(0, 100]"),
        (#"{"aggs": {"x": {"percentiles": {"field": "attributes.insertions", "percents": [50, 100.5]}}}}"#, "(0, 100]"),
        (#"{"aggs": {"x": {"percentiles": {"field": "attributes.insertions", "percents": []}}}}"#, "percents"),
        (#"{"aggs": {"x": {"stats": {"field": "type"}}}}"#, "not numeric"),
        (#"{"aggs": {"x": {"stats": {"field": "occurred_at"}}}}"#, "not numeric"),
        (#"{"aggs": {"x": {"stats": {"field": "attributes.email_domain"}}}}"#, "strings"),
        (#"{"aggs": {"x": {"percentiles": {"field": "attributes.email_domain"}}}}"#, "not numbers"),
        (#"{"from": "2024-02-01T00:00:00Z", "to": "2024-01-01T00:00:00Z", "aggs": {"x": {"terms": {"field": "actor"}}}}"#, "later than from"),
        (#"{"from": "2024-02-01", "aggs": {"x": {"terms": {"field": "actor"}}}}"#, "from"),
        (#"{"from": "", "aggs": {"x": {"terms": {"field": "actor"}}}}"#, "from"),
        (#"{"to": 1706745600, "aggs": {"x": {"terms": {"field": "actor"}}}}"#, "to"),
        (#"{"filter": "type ==", "aggs": {"x": {"terms": {"field": "actor"}}}}"#, "position"),
        (#"{"aggs": {"x": {"terms": {"field": "actor"}}}, "colour": 1}"#, "colour"),
        (#"{"aggs": {"x": {"terms": {"field": "actor", "order": "asc"}}}}"#, "order"),
        (#"{"aggs": {"x": {"terms": {"field": "actor"}}},"#, "malformed"),
        (#"[1, 2]"#, "object"),
    ]

    @Test func eachKindOfBadInputIsA400NamingIt() async throws {
        try await TestApp.run(redis: .none) { app in
            let token = try await app.token(tenant: TestApp.tenant())
            try await app.bulk(
                "/v1/events/_bulk",
                #"{"id":"e1","type":"x","source":"s","occurred_at":"2024-01-01T00:00:00Z","attributes":{"insertions":3,"email_domain":"a.org"}}"#,
                token: token)
            for (body, needle) in Self.badBodies {
                let reply = try await app.aggregate(body, token: token)
                #expect(reply.isProblem(400, mentioning: needle), "\(body): \(reply.status) \(reply.text.prefix(300))")
            }
        }
    }

    @Test func emptyRangesGiveZeroBucketsAndNullStats() async throws {
        try await TestApp.run(redis: .none) { app in
            let token = try await app.token(tenant: TestApp.tenant())
            let reply = try await app.aggregate(
                #"{"from": "2030-01-01T00:00:00Z", "to": "2030-01-01T06:00:00Z", "aggs": {"h": {"date_histogram": {"interval": "2h"}}, "s": {"stats": {"field": "attributes.x"}}, "p": {"percentiles": {"field": "attributes.x", "percents": [50]}}, "open": {"date_histogram": {"interval": "day"}}}}"#,
                token: token)
            #expect(reply.status == 200, "\(reply.text)")
            #expect(Self.buckets(reply, "h").map { $0["count"] } == [0, 0, 0])
            #expect(reply.at("aggs.s.count") == 0)
            #expect(reply.at("aggs.s.min") == .null)
            #expect(reply.at("aggs.p.values.50") == .null)
            #expect(reply["total"] == 0)
        }
    }
}
