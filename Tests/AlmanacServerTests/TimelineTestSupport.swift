import AlmanacCore
import Foundation
import Testing

@testable import AlmanacApp
@testable import AlmanacServer
import HTTPTypes

/// The timeline fixture (`fixtures/events_5k.ndjson`: 4,591 commits of 97 Swift
/// repositories, 2024-01..04 and 2024-10-20..11-02, both European DST changes inside) and
/// an oracle computed straight from the file.
enum Timeline {
    static let ndjson: String = try! Fixtures.text("events_5k.ndjson")

    static let events: [Event] = ndjson.split(separator: "\n").enumerated().map { i, line in
        let draft = try! EventValidator().validate(try! JSONParser.parse(String(line)))
        return draft.event(id: draft.id!, receivedAt: Timestamp(microseconds: 0), seq: Int64(i + 1))
    }

    static func t(_ text: String) -> Int64 { try! Timestamp(rfc3339: text).microseconds }

    /// The tenant the fixture is loaded into.
    static let tenant = "timeline-fixture"

    /// Loads the fixture into the token's tenant through `_bulk` and waits until it is indexed.
    static func load(_ app: TestApp, token: String) async throws {
        let reply = try await app.request(
            .post, "/v1/events/_bulk", token: token, body: Array(ndjson.utf8), headers: [(.contentType, "application/x-ndjson")])
        #expect(reply["accepted"]?.integerValue == Int64(events.count), "\(reply.text.prefix(300))")
        try await app.services.timeline.catchUp()
    }

    /// Runs `body` on a fresh copy of a data directory holding the fixture (loaded and
    /// indexed once per test process, then copied: indexing 4.6k events per test in a
    /// debug build would dominate the suite).
    static func withFixture(
        redis: RedisMode = .none, configure: @Sendable @escaping (inout AlmanacConfiguration) -> Void = { _ in },
        keep: String? = nil, _ body: @Sendable (TestApp, String) async throws -> Void
    ) async throws {
        let template = try await TimelineTemplate.shared.directory()
        let dir = keep ?? TestApp.temporaryDirectory()
        try? FileManager.default.removeItem(atPath: dir)
        try FileManager.default.copyItem(atPath: template, toPath: dir)
        do {
            try await TestApp.run(redis: redis, directory: dir, configure: configure) { app in
                try await body(app, try await app.token(tenant: tenant))
            }
        } catch {
            if keep == nil { try? FileManager.default.removeItem(atPath: dir) }
            throw error
        }
        if keep == nil { try? FileManager.default.removeItem(atPath: dir) }
    }

    /// Events in `[from, to)` satisfying `where`.
    static func matching(from: String? = nil, to: String? = nil, _ predicate: (Event) -> Bool = { _ in true }) -> [Event] {
        let lo = from.map(t) ?? .min
        let hi = to.map(t) ?? .max
        return events.filter { $0.occurredAt.microseconds >= lo && $0.occurredAt.microseconds < hi && predicate($0) }
    }

    /// The API's order: occurred_at (desc or asc), ties by id ascending, bytewise.
    static func sorted(_ events: [Event], descending: Bool) -> [String] {
        events.sorted { a, b in
            if a.occurredAt != b.occurredAt { return descending ? a.occurredAt > b.occurredAt : a.occurredAt < b.occurredAt }
            return Array(a.id.utf8).lexicographicallyPrecedes(Array(b.id.utf8))
        }.map(\.id)
    }

    /// Percent-encodes a query value (form encoding: space as %20, + as %2B).
    static func q(_ s: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return s.addingPercentEncoding(withAllowedCharacters: allowed)!
    }
}

/// The fixture's data directory, built once per test process.
actor TimelineTemplate {
    static let shared = TimelineTemplate()
    private var task: Task<String, any Error>?

    func directory() async throws -> String {
        if let task { return try await task.value }
        let task = Task<String, any Error> {
            let dir = TestApp.temporaryDirectory()
            try await TestApp.run(redis: .none, directory: dir) { app in
                try await Timeline.load(app, token: try await app.token(tenant: Timeline.tenant))
            }
            return dir
        }
        self.task = task
        return try await task.value
    }
}

extension Reply {
    var eventIDs: [String] { (json["events"]?.arrayValue ?? []).compactMap { $0["id"]?.stringValue } }
}

extension TestApp {
    func aggregate(_ body: String, token: String) async throws -> Reply {
        try await request(.post, "/v1/events/aggregate", token: token, json: body)
    }

    /// Follows `next_cursor` from `firstURI` to the end; answers every event id in order.
    func walk(_ firstURI: String, token: String, between: (Int) async throws -> Void = { _ in }) async throws -> [String] {
        var ids: [String] = []
        var uri = firstURI
        var page = 0
        while true {
            let reply = try await get(uri, token: token)
            #expect(reply.status == 200, "\(reply.text.prefix(300))")
            guard reply.status == 200 else { return ids }
            ids += reply.eventIDs
            guard let next = reply.at("page.next_cursor")?.stringValue else { return ids }
            uri = firstURI + "&cursor=" + next
            try await between(page)
            page += 1
            if page > 10_000 { return ids }
        }
    }
}
