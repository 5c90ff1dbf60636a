import AlmanacCore
import Foundation
import Testing

@testable import AlmanacApp
@testable import AlmanacServer
import AlmanacIndex

/// `"sum": "<numeric field>"` on `terms` and `date_histogram` (API.md, "Aggregate request"):
/// each count becomes the sum of that field over the bucket's events.
@Suite struct TimelineAggregateSumTests {
    static func buckets(_ reply: Reply, _ name: String) -> [JSONValue] {
        reply.at("aggs.\(name).buckets")?.arrayValue ?? []
    }

    /// Counts over HTTP: sums of fractions stay fractions, events without the field add
    /// nothing (also to `missing_count` and `other_count`), keys rank by their sums.
    @Test func termsAndHistogramCountsBecomeSums() async throws {
        try await TestApp.run(redis: .none) { app in
            let token = try await app.token(tenant: TestApp.tenant("sum"))
            let rows: [(String, String, String?, String)] = [
                // (q, occurred_at, searches, actor)
                ("kettle", "2024-01-01T10:00:00Z", "3", "a"),
                ("kettle", "2024-01-01T11:00:00Z", "4", "b"),
                ("toaster", "2024-01-01T12:00:00Z", "10", "a"),
                ("mug", "2024-01-02T09:00:00Z", "1.5", "c"),
                ("mug", "2024-01-02T09:30:00Z", nil, "c"),
                ("spoon", "2024-01-02T10:00:00Z", "1", "d"),
                ("spoon", "2024-01-02T10:00:01Z", "\"many\"", "d"),
            ]
            let lines = rows.enumerated().map { i, r in
                let searches = r.2.map { #", "searches": \#($0)"# } ?? ""
                return #"{"id": "s\#(i)", "type": "search.performed", "source": "almanac.search", "actor": "\#(r.3)", "occurred_at": "\#(r.1)", "attributes": {"q": "\#(r.0)"\#(searches)}}"#
            } + [#"{"id": "noq", "type": "search.performed", "source": "almanac.search", "occurred_at": "2024-01-02T11:00:00Z", "attributes": {"searches": 2}}"#]
            try await app.bulk("/v1/events/_bulk", lines.joined(separator: "\n"), token: token)
            try await app.services.timeline.catchUp()

            let reply = try await app.aggregate(
                #"{"from": "2024-01-01T00:00:00Z", "to": "2024-01-03T00:00:00Z", "aggs": {"popular": {"terms": {"field": "attributes.q", "size": 2, "sum": "attributes.searches"}}, "per_day": {"date_histogram": {"interval": "day", "sum": "attributes.searches", "split_by": {"field": "actor", "size": 1}}}, "plain": {"terms": {"field": "attributes.q", "size": 2}}}}"#,
                token: token)
            #expect(reply.status == 200, "\(reply.text.prefix(400))")
            #expect(reply["total"] == 8)
            let popular = Self.buckets(reply, "popular")
            #expect(popular.map { $0["key"]?.stringValue ?? "" } == ["toaster", "kettle"])
            #expect(popular.map { $0["count"]?.numberValue ?? -1 } == [10, 7])
            #expect(reply.at("aggs.popular.other_count")?.numberValue == 2.5)  // mug 1.5 + spoon 1 ("many" adds nothing)
            #expect(reply.at("aggs.popular.missing_count")?.numberValue == 2)  // the event without q
            // Without sum the same terms count events.
            #expect(Self.buckets(reply, "plain").map { $0["count"]?.numberValue ?? -1 } == [2, 2])

            let days = Self.buckets(reply, "per_day")
            #expect(days.map { $0["count"]?.numberValue ?? -1 } == [17, 4.5])
            // Actor "a" sums 13 over the range: the top split key.
            #expect(days.map { $0["split"]?.objectValue?.keys ?? [] } == [["a", "other"], ["a", "other"]])
            #expect(days.map { $0["split"]?["a"]?.numberValue ?? -1 } == [13, 0])
            #expect(days.map { $0["split"]?["other"]?.numberValue ?? -1 } == [4, 4.5])
        }
    }

    /// The resident columns and the index path (with `q`, or forced) give the same sums.
    @Test func bothAggregationPathsAgreeOnSums() async throws {
        try await Timeline.withFixture { app, token in
            let tenant = Timeline.tenant
            let body = #"{"from": "2024-01-01T00:00:00Z", "to": "2024-05-01T00:00:00Z", "filter": "attributes.files_changed < 20", "aggs": {"d": {"date_histogram": {"interval": "week", "time_zone": "Europe/Berlin", "sum": "attributes.insertions", "split_by": {"field": "source", "size": 3}}}, "t": {"terms": {"field": "actor", "size": 7, "sum": "attributes.deletions"}}, "n": {"terms": {"field": "attributes.email_domain", "size": 4, "sum": "attributes.files_changed"}}}}"#
            let request = try EventAggregateRequest(json: try JSONParser.parse(body))
            let columns = try await app.services.timeline.searcher.aggregate(request, tenant: tenant, settings: .default)
            let index = try await app.services.timeline.searcher.aggregate(request, tenant: tenant, settings: .default, forceIndex: true)
            #expect(columns.path == "columns" && index.path == "index")
            #expect(EventRendering.aggregate(columns) == EventRendering.aggregate(index))

            // Against the file: the weekly sums add up to the insertions of the matches.
            let reply = try await app.aggregate(body, token: token)
            #expect(reply.status == 200, "\(reply.text.prefix(300))")
            let matches = Timeline.matching(from: "2024-01-01T00:00:00Z", to: "2024-05-01T00:00:00Z") {
                ($0.attributes["files_changed"]?.numberValue ?? 0) < 20
            }
            let insertions = matches.reduce(0.0) { $0 + ($1.attributes["insertions"]?.numberValue ?? 0) }
            #expect(Self.buckets(reply, "d").reduce(0.0) { $0 + ($1["count"]?.numberValue ?? 0) } == insertions)
            let deletions = matches.reduce(0.0) { $0 + ($1.attributes["deletions"]?.numberValue ?? 0) }
            let listed = Self.buckets(reply, "t").reduce(0.0) { $0 + ($1["count"]?.numberValue ?? 0) }
            #expect(listed + (reply.at("aggs.t.other_count")?.numberValue ?? 0) == deletions)

            // With q the index path answers, and agrees with forcing it without q on the same matches.
            var withQ = request
            withQ.q = "fix"
            let viaQ = try await app.services.timeline.searcher.aggregate(withQ, tenant: tenant, settings: .default)
            #expect(viaQ.path == "index")
            let fixIDs = Set(try await app.walk(
                "/v1/events/search?q=fix&from=2024-01-01T00:00:00Z&to=2024-05-01T00:00:00Z&filter=\(Timeline.q("attributes.files_changed < 20"))&limit=100",
                token: token))
            let fixInsertions = Timeline.events.filter { fixIDs.contains($0.id) }.reduce(0.0) {
                $0 + ($1.attributes["insertions"]?.numberValue ?? 0)
            }
            guard case .dateHistogram(let h) = viaQ.results[0].result else {
                Issue.record("not a histogram")
                return
            }
            #expect(h.buckets.reduce(0.0) { $0 + $1.count } == fixInsertions)
        }
    }

    static let badBodies: [(String, String)] = [
        (#"{"aggs": {"x": {"terms": {"field": "actor", "sum": "type"}}}}"#, "sum"),
        (#"{"aggs": {"x": {"terms": {"field": "actor", "sum": 3}}}}"#, "sum"),
        (#"{"aggs": {"x": {"date_histogram": {"interval": "day", "sum": "occurred_at"}}}}"#, "sum"),
        (#"{"aggs": {"x": {"date_histogram": {"interval": "day", "split_by": {"field": "type", "sum": "attributes.n"}}}}}"#, "split_by.sum"),
        (#"{"aggs": {"x": {"terms": {"field": "actor", "sum": "attributes.email_domain"}}}}"#, "strings"),
        (#"{"aggs": {"x": {"stats": {"field": "attributes.n", "sum": "attributes.n"}}}}"#, "sum"),
    ]

    @Test func aBadSumIsA400NamingIt() async throws {
        try await TestApp.run(redis: .none) { app in
            let token = try await app.token(tenant: TestApp.tenant())
            try await app.bulk(
                "/v1/events/_bulk",
                #"{"id":"e1","type":"x","source":"s","occurred_at":"2024-01-01T00:00:00Z","attributes":{"n":3,"email_domain":"a.org"}}"#,
                token: token)
            for (body, needle) in Self.badBodies {
                let reply = try await app.aggregate(body, token: token)
                #expect(reply.isProblem(400, mentioning: needle), "\(body): \(reply.status) \(reply.text.prefix(300))")
            }
        }
    }
}
