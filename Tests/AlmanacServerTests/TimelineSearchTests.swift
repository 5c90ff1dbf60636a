import Foundation
import Testing

@testable import AlmanacApp
@testable import AlmanacServer
import HTTPTypes
import AlmanacCore
import AlmanacAuth

@Suite struct TimelineSearchTests {
    @Test func countsMatchTheFixtureForRangesAndFilters() async throws {
        try await Timeline.withFixture { app, token in
            let all = try await app.get("/v1/events/search?limit=0", token: token)
            #expect(all.at("total.value")?.integerValue == Int64(Timeline.events.count))
            #expect(all.at("total.relation") == "eq")
            #expect(all.eventIDs.isEmpty)
            #expect(all.at("page.next_cursor") == .null)
            #expect(all.headers[.init("X-Almanac-Seq")!].flatMap { Int64($0) } ?? 0 >= Int64(Timeline.events.count))

            let march = try await app.get(
                "/v1/events/search?limit=0&from=2024-03-01T00:00:00Z&to=2024-04-01T00:00:00Z", token: token)
            #expect(march.at("total.value")?.integerValue == Int64(Timeline.matching(from: "2024-03-01T00:00:00Z", to: "2024-04-01T00:00:00Z").count))

            // A range given with offsets, straddling months: [from, to) exactly.
            let from = "2024-03-31T12:34:56+02:00", to = "2024-04-02T00:00:00-05:00"
            let straddle = try await app.get("/v1/events/search?limit=0&from=\(Timeline.q(from))&to=\(Timeline.q(to))", token: token)
            #expect(straddle.at("total.value")?.integerValue == Int64(Timeline.matching(from: from, to: to).count))

            let filter = #"source = "apple/swift-nio" AND attributes.insertions >= 10"#
            let filtered = try await app.get("/v1/events/search?limit=0&filter=\(Timeline.q(filter))", token: token)
            let expected = Timeline.matching { $0.source == "apple/swift-nio" && ($0.attributes["insertions"]?.numberValue ?? -1) >= 10 }
            #expect(filtered.at("total.value")?.integerValue == Int64(expected.count))

            let byID = try await app.get("/v1/events/search?filter=\(Timeline.q(#"id = "\#(Timeline.events[7].id)""#))", token: token)
            #expect(byID.eventIDs == [Timeline.events[7].id])
        }
    }

    @Test func firstPagesComeNewestFirstOrOldestFirstWithTiesByID() async throws {
        try await Timeline.withFixture { app, token in
            let desc = try await app.get("/v1/events/search?limit=25", token: token)
            #expect(desc.eventIDs == Array(Timeline.sorted(Timeline.events, descending: true).prefix(25)))
            #expect(desc.at("page.limit") == 25)
            #expect(desc.at("events.0.seq")?.integerValue != nil)
            #expect(desc.at("events.0.received_at")?.stringValue != nil)
            let asc = try await app.get("/v1/events/search?limit=25&sort=occurred_at:asc", token: token)
            #expect(asc.eventIDs == Array(Timeline.sorted(Timeline.events, descending: false).prefix(25)))
            #expect(desc["took_ms"]?.numberValue != nil)
            #expect(desc["cache"] == "off")
        }
    }

    @Test func fullTextOverMessagesCombinesWithRangeAndFilter() async throws {
        try await Timeline.withFixture { app, token in
            let fixes = try await app.get("/v1/events/search?q=fixed&limit=100&from=2024-02-01T00:00:00Z&to=2024-03-01T00:00:00Z", token: token)
            #expect(fixes.status == 200)
            let total = fixes.at("total.value")?.integerValue ?? 0
            #expect(total > 0)
            // Stemming: "fixed" finds "fix", "fixes", "fixing" in February only.
            for event in fixes.json["events"]?.arrayValue ?? [] {
                let message = event["message"]?.stringValue?.lowercased() ?? ""
                #expect(message.contains("fix"), "\(message)")
                let at = event["occurred_at"]?.stringValue ?? ""
                #expect(at >= "2024-02-01" && at < "2024-03-01")
            }
            let phrase = try await app.get("/v1/events/search?limit=0&q=\(Timeline.q("\"merge pull request\""))", token: token)
            let expected = Timeline.events.filter { $0.message!.lowercased().contains("merge pull request") }.count
            #expect(phrase.at("total.value")?.integerValue == Int64(expected))
            let narrowed = try await app.get(
                "/v1/events/search?limit=0&q=\(Timeline.q("\"merge pull request\""))&filter=\(Timeline.q(#"source = "vapor/vapor""#))", token: token)
            #expect(narrowed.at("total.value")?.integerValue ?? 0 < Int64(expected))
        }
    }

    /// Pages of 7 over the whole fixture in both orders: every event exactly once, in
    /// order, though 386 timestamps are shared by 2-4 events that straddle pages.
    @Test(arguments: [true, false])
    func cursorWalksSeeEveryEventExactlyOnce(_ descending: Bool) async throws {
        try await Timeline.withFixture { app, token in
            let sort = descending ? "occurred_at:desc" : "occurred_at:asc"
            let range = "from=2024-03-25T00:00:00Z&to=2024-10-28T00:00:00Z"
            let ids = try await app.walk("/v1/events/search?limit=7&sort=\(sort)&\(range)", token: token)
            let expected = Timeline.sorted(Timeline.matching(from: "2024-03-25T00:00:00Z", to: "2024-10-28T00:00:00Z"), descending: descending)
            #expect(ids.count == expected.count)
            #expect(ids == expected)
        }
    }

    @Test func equalTimestampsStraddlingPagesContinueExactly() async throws {
        try await TestApp.run(redis: .none) { app in
            let token = try await app.token(tenant: TestApp.tenant())
            var lines: [String] = []
            for i in 0..<9 {
                lines.append(#"{"id":"tie-\#(i)","type":"tick","source":"s","occurred_at":"2024-05-05T05:05:05Z"}"#)
            }
            lines.append(#"{"id":"later","type":"tick","source":"s","occurred_at":"2024-05-05T05:05:06Z"}"#)
            try await app.bulk("/v1/events/_bulk", lines.shuffled().joined(separator: "\n"), token: token)
            let ids = try await app.walk("/v1/events/search?limit=2", token: token)
            #expect(ids == ["later"] + (0..<9).map { "tie-\($0)" })
            let asc = try await app.walk("/v1/events/search?limit=4&sort=occurred_at:asc", token: token)
            #expect(asc == (0..<9).map { "tie-\($0)" } + ["later"])
        }
    }

    /// Events arriving during a walk: the walk still sees every original event once, and
    /// new events sorting after the position reached appear once; none repeats.
    @Test func cursorWalkStaysExactWhileEventsArrive() async throws {
        try await Timeline.withFixture { app, token in
            let range = "from=2024-04-01T00:00:00Z&to=2024-05-01T00:00:00Z"
            let ids = try await app.walk("/v1/events/search?limit=50&\(range)", token: token) { page in
                guard page < 5 else { return }
                // One event at the very end (already passed) and one at the very start (still ahead), plus
                // one tied with an April event.
                let body = [
                    #"{"id":"new-late-\#(page)","type":"x","source":"s","occurred_at":"2024-04-30T23:59:59Z"}"#,
                    #"{"id":"new-early-\#(page)","type":"x","source":"s","occurred_at":"2024-04-01T00:00:00Z"}"#,
                    #"{"id":"new-tie-\#(page)","type":"x","source":"s","occurred_at":"\#(Timeline.matching(from: "2024-04-10T00:00:00Z", to: "2024-04-11T00:00:00Z")[0].occurredAt.rfc3339)"}"#,
                ].joined(separator: "\n")
                try await app.bulk("/v1/events/_bulk", body, token: token)
            }
            #expect(Set(ids).count == ids.count, "an event repeated")
            let originals = Timeline.sorted(Timeline.matching(from: "2024-04-01T00:00:00Z", to: "2024-05-01T00:00:00Z"), descending: true)
            #expect(ids.filter { !$0.hasPrefix("new-") } == originals)
            for page in 0..<5 {
                #expect(ids.contains("new-early-\(page)"), "an event ahead of the cursor was missed")
                #expect(!ids.contains("new-late-\(page)"))
            }
        }
    }

    @Test func repeatedSearchesAreCachedUntilTheTimelineChanges() async throws {
        try await TestApp.run(redis: .shared) { app in
            let token = try await app.token(tenant: TestApp.tenant())
            try await app.bulk("/v1/events/_bulk", Timeline.ndjson.split(separator: "\n").prefix(50).joined(separator: "\n"), token: token)
            let first = try await app.get("/v1/events/search?limit=5", token: token)
            let second = try await app.get("/v1/events/search?limit=5", token: token)
            #expect(first["cache"] == "miss")
            #expect(second["cache"] == "hit")
            #expect(first.eventIDs == second.eventIDs)
            try await app.bulk("/v1/events/_bulk", #"{"id":"x1","type":"x","source":"s","occurred_at":"2030-01-01T00:00:00Z"}"#, token: token)
            let third = try await app.get("/v1/events/search?limit=5", token: token)
            #expect(third["cache"] == "miss")
            #expect(third.eventIDs.first == "x1")
        }
    }

    @Test func tenantsSeeOnlyTheirOwnEvents() async throws {
        try await TestApp.run(redis: .none) { app in
            let a = try await app.token(tenant: TestApp.tenant("a"))
            let b = try await app.token(tenant: TestApp.tenant("b"))
            try await app.bulk("/v1/events/_bulk", #"{"id":"e1","type":"x","source":"s","occurred_at":"2024-01-01T00:00:00Z","message":"secret"}"#, token: a)
            #expect(try await app.get("/v1/events/search?q=secret", token: a).eventIDs == ["e1"])
            #expect(try await app.get("/v1/events/search?q=secret", token: b).eventIDs == [])
            #expect(try await app.get("/v1/events/search?limit=0", token: b).at("total.value") == 0)
        }
    }

    static let badSearches: [(String, String)] = [
        ("from=yesterday", "from"),
        ("from=", "from"),
        ("to=2024-13-01T00:00:00Z", "to"),
        ("from=2024-02-01T00:00:00Z&to=2024-02-01T00:00:00Z", "later than from"),
        ("from=2024-03-01T00:00:00Z&to=2024-02-01T00:00:00Z", "later than from"),
        ("from=2024-02-01T00:00:00+02:00x", "from"),
        ("sort=price", "sort"),
        ("sort=occurred_at:up", "sort"),
        ("limit=101", "limit"),
        ("limit=-1", "limit"),
        ("limit=ten", "limit"),
        ("offset=20", "offset"),
        ("cursor=not-a-cursor", "cursor"),
        ("filter=colour%20%3D%20%22red%22", "unknown field"),
        ("filter=source%20%3D", "filter"),
        ("filter=attributes.insertions%20%3E%20%22x%22%20AND%20occurred_at%20%3C%2012", "occurred_at"),
        ("q=" + String(repeating: "a", count: 1100), "q"),
        ("min_seq=-3", "min_seq"),
    ]

    @Test func badInputIsA400NamingTheProblem() async throws {
        try await TestApp.run(redis: .none) { app in
            let token = try await app.token(tenant: TestApp.tenant())
            try await app.bulk("/v1/events/_bulk", #"{"id":"e1","type":"x","source":"s","occurred_at":"2024-01-01T00:00:00Z"}"#, token: token)
            for (query, needle) in Self.badSearches {
                let reply = try await app.get("/v1/events/search?\(query)", token: token)
                #expect(reply.isProblem(400, mentioning: needle), "\(query): \(reply.status) \(reply.text.prefix(300))")
            }
            // A cursor of one query used with another.
            let page = try await app.get("/v1/events/search?limit=1", token: token)
            _ = page
            let two = #"{"id":"e2","type":"x","source":"s","occurred_at":"2024-01-02T00:00:00Z"}"#
            try await app.bulk("/v1/events/_bulk", two, token: token)
            let first = try await app.get("/v1/events/search?limit=1", token: token)
            let cursor = try #require(first.at("page.next_cursor")?.stringValue)
            let other = try await app.get("/v1/events/search?limit=1&q=x&cursor=\(cursor)", token: token)
            #expect(other.isProblem(400, mentioning: "different query"))
            let scopeless = try await app.token(tenant: TestApp.tenant(), scopes: [.catalogueRead])
            #expect(try await app.get("/v1/events/search", token: scopeless).isProblem(403))
        }
    }
}
