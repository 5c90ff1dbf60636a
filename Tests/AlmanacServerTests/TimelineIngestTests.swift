import AlmanacCore
import AlmanacIndex
import AlmanacStore
import Foundation
import Logging
import Testing

@testable import AlmanacApp
@testable import AlmanacServer
import HTTPTypes

@Suite struct TimelineIngestTests {
    let event = #"{"id":"deploy-1","type":"deploy","source":"ci","occurred_at":"2024-01-02T03:04:05+01:00","actor":"Jane","entity":{"type":"service","id":"api"},"attributes":{"build":{"number":42,"green":true}},"message":"Deploy api"}"#

    @Test func singleEventsAreIdempotentByID() async throws {
        try await TestApp.run(redis: .none) { app in
            let token = try await app.token(tenant: TestApp.tenant())
            let first = try await app.request(.post, "/v1/events?wait=true", token: token, json: event)
            #expect(first.status == 201, "\(first.text)")
            let seq = first["seq"]?.integerValue
            let again = try await app.request(.post, "/v1/events", token: token, json: event)
            #expect(again.status == 200)
            #expect(again["seq"]?.integerValue == seq)
            let conflict = try await app.request(.post, "/v1/events", token: token, json: event.replacingOccurrences(of: "Deploy api", with: "Deploy web"))
            #expect(conflict.isProblem(409, mentioning: "deploy-1"))
            let stored = try await app.get("/v1/events/deploy-1", token: token)
            #expect(stored["occurred_at"] == "2024-01-02T02:04:05Z")
            #expect(stored.at("attributes.build.number") == nil)
            #expect(stored["attributes"]?["build.number"] == 42)
            #expect(stored["attributes"]?["build.green"] == true)
            let found = try await app.get("/v1/events/search?filter=\(Timeline.q("attributes.build.number = 42"))", token: token)
            #expect(found.eventIDs == ["deploy-1"])
            #expect(found.at("total.value") == 1)
        }
    }

    @Test func bulkCountsDuplicatesAndRejectsConflictsAndBadLines() async throws {
        try await TestApp.run(redis: .none) { app in
            let token = try await app.token(tenant: TestApp.tenant())
            try await app.bulk("/v1/events/_bulk", event, token: token)
            let body = [
                event,  // 1: duplicate
                event.replacingOccurrences(of: "Jane", with: "John"),  // 2: conflict
                #"{"type":"deploy","source":"ci"}"#,  // 3: no occurred_at
                #"{"type":"Deploy!","source":"ci","occurred_at":"2024-01-01T00:00:00Z"}"#,  // 4: bad type
                "{not json",  // 5
                #"{"type":"deploy","source":"ci","occurred_at":"2024-01-01T00:00:00Z"}"#,  // 6: accepted, id generated
                #"{"id":"x2","type":"deploy","source":"ci","occurred_at":"2024-01-01T00:00:00Z","severity":"fatal"}"#,  // 7
            ].joined(separator: "\n")
            let reply = try await app.bulk("/v1/events/_bulk", body, token: token)
            #expect(reply["accepted"] == 1)
            #expect(reply["duplicates"] == 1)
            let rejected = reply["rejected"]?.arrayValue ?? []
            #expect(rejected.map { $0["line"]?.integerValue } == [2, 3, 4, 5, 7])
            #expect(rejected[0]["id"] == "deploy-1")
            #expect(rejected[1]["error"]?.stringValue?.contains("occurred_at") == true)
            #expect(rejected[4]["error"]?.stringValue?.contains("severity") == true)
            let total = try await app.get("/v1/events/search?limit=0&min_seq=\(reply["seq"]!.integerValue!)", token: token)
            #expect(total.at("total.value") == 2)
        }
    }

    @Test func entityHistoryIsOldestFirstAndPagesExactly() async throws {
        try await Timeline.withFixture { app, token in
            let nio = Timeline.events.filter { $0.entity?.id == "apple/swift-nio" }
            let asc = try await app.walk("/v1/entities/repository/apple%2Fswift-nio/events?limit=9", token: token)
            #expect(asc == Timeline.sorted(nio, descending: false))
            let first = try await app.get("/v1/entities/repository/apple%2Fswift-nio/events?limit=3&order=desc", token: token)
            #expect(first.eventIDs == Array(Timeline.sorted(nio, descending: true).prefix(3)))
            #expect(first.at("total.value")?.integerValue == Int64(nio.count))
        }
    }

    /// Catalogue writes append `product.*` events in the same transaction: they are the
    /// product's history and are searchable on the timeline.
    @Test func productChangesShowUpAsProductHistory() async throws {
        try await TestApp.run(redis: .none) { app in
            let token = try await app.token(tenant: TestApp.tenant())
            try await app.putProduct("k1", kettle, token: token)
            let patched = try await app.request(.patch, "/v1/products/k1?wait=true", token: token, json: #"{"price": 1999}"#)
            #expect(patched.status == 200)
            let deleted = try await app.request(.delete, "/v1/products/k1", token: token)
            let seq = try #require(deleted["seq"]?.integerValue)
            let history = try await app.get("/v1/entities/product/k1/events", token: token)
            #expect(history.json["events"]?.arrayValue?.map { $0["type"]?.stringValue } == ["product.created", "product.updated", "product.deleted"])
            #expect(history.at("events.1.attributes.changed")?.stringValue?.contains("price") == true)
            let search = try await app.get(
                "/v1/events/search?sort=occurred_at:asc&min_seq=\(seq)&filter=\(Timeline.q(#"entity.type = "product" AND entity.id = "k1""#))",
                token: token)
            #expect(search.json["events"]?.arrayValue?.map { $0["type"]?.stringValue } == ["product.created", "product.updated", "product.deleted"])
            let terms = try await app.aggregate(#"{"min_seq": \#(seq), "aggs": {"t": {"terms": {"field": "type"}}}}"#, token: token)
            #expect(terms.at("aggs.t.buckets")?.arrayValue?.count == 3)
            let text = try await app.get("/v1/events/search?q=deleted&min_seq=\(seq)", token: token)
            #expect(text.at("total.value") == 1)
        }
    }

    /// Months wholly older than the retention window are dropped whole, on start and by the
    /// periodic pass: index directories, columns and stored rows.
    @Test func retentionDropsExpiredMonthsWhole() async throws {
        let dir = TestApp.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let tenant = Timeline.tenant
        try await Timeline.withFixture(keep: dir) { app, token in
            let ready = try await app.get("/ready", token: nil)
            #expect(ready.at("indexes.events.oldest_month") == "2024-01")
            #expect(ready.at("indexes.events.lag") == 0)
        }
        // Keep from the month holding 2024-10-15: January to April expire.
        let now = Timestamp.now()
        let days = Int((now.microseconds - Timeline.t("2024-10-15T00:00:00Z")) / 86_400_000_000)
        try await TestApp.run(redis: .none, directory: dir, configure: { $0.events.retentionDays = days }) { app in
            let token = try await app.token(tenant: tenant)
            let ready = try await app.get("/ready", token: nil)
            #expect(ready.at("indexes.events.oldest_month") == "2024-10")
            #expect(ready.at("indexes.events.retention_days")?.integerValue == Int64(days))
            let kept = Timeline.matching(from: "2024-10-01T00:00:00Z")
            #expect(try await app.get("/v1/events/search?limit=0", token: token).at("total.value")?.integerValue == Int64(kept.count))
            let agg = try await app.aggregate(#"{"aggs": {"m": {"date_histogram": {"interval": "month"}}}}"#, token: token)
            #expect(agg["total"]?.integerValue == Int64(kept.count))
            #expect(try await app.get("/v1/events/\(Timeline.q(Timeline.events.first { $0.occurredAt.rfc3339 < "2024-02" }!.id))", token: token).status == 404)
            #expect(!FileManager.default.fileExists(atPath: dir + "/index/events/2024-01"))
            #expect(FileManager.default.fileExists(atPath: dir + "/index/events/2024-10"))
            let check = try Maintenance.check(app.services.configuration, store: app.services.store)
            #expect(check.isEmpty, "\(check)")

            // The periodic pass, a year later: October and November go too.
            let later = Timestamp(microseconds: now.microseconds + 365 * 86_400_000_000)
            let dropped = try await app.services.timeline.enforceRetention(now: later)
            #expect(dropped.map(\.name) == ["2024-10", "2024-11"])
            #expect(try await app.get("/v1/events/search?limit=0", token: token).at("total.value") == 0)
            #expect(try await app.get("/ready", token: nil).at("indexes.events.oldest_month") == .null)
        }
    }

    @Test func offlineImportIsIndexedAndCheckedAndReindexRebuildsTheMonths() async throws {
        let dir = TestApp.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var configuration = AlmanacConfiguration()
        configuration.dataDirectory = dir
        try FileManager.default.createDirectory(atPath: dir + "/index", withIntermediateDirectories: true)
        let store = try Store(path: configuration.storePath)
        let file = Fixtures.directory + "/events_5k.ndjson"
        let report = try await Importer(store: store, collection: .events, tenant: "imp", progress: false).run(path: file)
        #expect(report.accepted == Timeline.events.count)
        let logger = Logger(label: "test")
        #expect(try Maintenance.catchUp(configuration, store: store, logger: logger))
        #expect(try Maintenance.check(configuration, store: store).isEmpty)
        try Maintenance.reindexEvents(configuration, store: store, logger: logger)
        #expect(try Maintenance.check(configuration, store: store).isEmpty)
        // Re-importing the same file: every line a duplicate.
        let again = try await Importer(store: store, collection: .events, tenant: "imp", progress: false).run(path: file)
        #expect(again.accepted == 0)
        #expect(again.duplicates == Timeline.events.count)
        try store.close()
        try await TestApp.run(redis: .none, directory: dir) { app in
            let token = try await app.token(tenant: "imp")
            #expect(try await app.get("/v1/events/search?limit=0", token: token).at("total.value")?.integerValue == Int64(Timeline.events.count))
            // The running server holds the index: reindex refuses, catch-up defers.
            #expect(throws: AlmanacError.self) { try Maintenance.reindexEvents(app.services.configuration, store: app.services.store, logger: logger) }
            #expect(try Maintenance.catchUp(app.services.configuration, store: app.services.store, logger: logger) == false)
        }
    }

    /// `almanac import`: the indexes follow the store while the file is committed (the
    /// server's indexer loop, offline), and hold everything once the import returns.
    @Test func importWithTheIndexesFollowingHoldsEveryRecordOnceItReturns() async throws {
        let dir = TestApp.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var configuration = AlmanacConfiguration()
        configuration.dataDirectory = dir
        try FileManager.default.createDirectory(atPath: dir + "/index", withIntermediateDirectories: true)
        let store = try Store(path: configuration.storePath)
        let logger = Logger(label: "test")
        let (events, _, indexed) = try await Maintenance.indexing(configuration, store: store, logger: logger) {
            try await Importer(store: store, collection: .events, tenant: "imp", progress: false)
                .run(path: Fixtures.directory + "/events_5k.ndjson")
        }
        #expect(indexed)
        #expect(events.accepted == Timeline.events.count)
        let (products, _, _) = try await Maintenance.indexing(configuration, store: store, logger: logger) {
            try await Importer(store: store, collection: .products, tenant: "imp", progress: false)
                .run(path: Fixtures.directory + "/products_2k.ndjson")
        }
        #expect(products.accepted == 2000)
        #expect(try Maintenance.check(configuration, store: store).isEmpty)
        // A failed load rethrows and releases the indexes (the next catch-up takes them).
        await #expect(throws: AlmanacError.self) {
            _ = try await Maintenance.indexing(configuration, store: store, logger: logger) {
                try await Importer(store: store, collection: .events, tenant: "imp", progress: false).run(path: dir + "/absent.ndjson")
            }
        }
        #expect(try Maintenance.catchUp(configuration, store: store, logger: logger))
        try store.close()
        try await TestApp.run(redis: .none, directory: dir) { app in
            let token = try await app.token(tenant: "imp")
            // Each imported product is on the timeline too (its change event).
            #expect(try await app.get("/v1/events/search?limit=0", token: token).at("total.value")?.integerValue == Int64(Timeline.events.count + 2000))
            #expect(await app.search("limit=0", token: token).at("total.value") == 2000)
            // With the server holding the indexes, the import commits and says so.
            let (again, _, ours) = try await Maintenance.indexing(app.services.configuration, store: app.services.store, logger: logger) {
                try await Importer(store: app.services.store, collection: .events, tenant: "imp", progress: false)
                    .run(path: Fixtures.directory + "/events_5k.ndjson")
            }
            #expect(!ours)
            #expect(again.duplicates == Timeline.events.count)
        }
    }
}
