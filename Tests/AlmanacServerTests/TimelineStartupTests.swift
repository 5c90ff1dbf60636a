import AlmanacCore
import AlmanacIndex
import AlmanacStore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Synchronization
import Testing

@testable import AlmanacApp
@testable import AlmanacServer

/// Start-up (docs/timeline.md, "Start-up"): the resident columns come back from the month
/// column files without reading the store, a bad or stale file costs only its month, and
/// the port answers `/health` while the services open.
@Suite struct TimelineStartupTests {
    static let fixtureMonths = ["2024-01", "2024-02", "2024-03", "2024-04", "2024-10", "2024-11"]

    static func columnFile(_ app: TestApp, _ month: String) -> String {
        app.services.configuration.eventIndexDirectory + "/" + month + "/" + EventColumnFile.fileName
    }

    /// An aggregation touching every kind of column: keyword terms, attribute terms,
    /// stats, percentiles and a histogram split by source.
    static let wideAggregation = #"""
        {"aggs": {"actors": {"terms": {"field": "actor", "size": 20}},
                  "domains": {"terms": {"field": "attributes.email_domain", "size": 10}},
                  "ins": {"stats": {"field": "attributes.insertions"}},
                  "p": {"percentiles": {"field": "attributes.deletions", "percents": [50, 99]}},
                  "weeks": {"date_histogram": {"interval": "week", "split_by": {"field": "source", "size": 5}}}}}
        """#

    @Test func columnsReloadFromTheirFilesWithoutReadingTheStore() async throws {
        try await Timeline.withFixture { app, token in
            // The fixture's template was built and closed by a server: its files are fresh.
            let load = app.services.timeline.columnLoad
            #expect(load.storeEvents == 0)
            #expect(load.fromFiles == Self.fixtureMonths.count && load.rebuilt == 0 && load.toppedUp == 0)
            #expect(load.fileEvents == Timeline.events.count)
            #expect(app.services.timeline.columns.rowCount == Timeline.events.count)
            for month in Self.fixtureMonths { #expect(FileManager.default.fileExists(atPath: Self.columnFile(app, month))) }
            let reply = try await app.aggregate(Self.wideAggregation, token: token)
            #expect(reply.status == 200, "\(reply.text.prefix(300))")
            #expect(reply.at("total")?.integerValue == Int64(Timeline.events.count))
        }
    }

    /// The columns loaded from files answer byte for byte as the columns rebuilt from the
    /// store (the files removed) and as the index path.
    @Test func filesAndStoreRebuildAnswerAlike() async throws {
        let dir = TestApp.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let answers = Mutex<(files: String, index: String)>(("", ""))
        try await Timeline.withFixture(keep: dir) { app, token in
            let fromFiles = Self.stripTook(try await app.aggregate(Self.wideAggregation, token: token).text)
            let request = try EventAggregateRequest(json: try JSONParser.parse(Self.wideAggregation))
            let indexed = try await app.services.timeline.searcher.aggregate(
                request, tenant: Timeline.tenant, settings: app.services.settings(tenant: Timeline.tenant), forceIndex: true)
            let fromIndex = "\(indexed.total) \(indexed.results.map { "\($0.name)=\($0.result)" })"
            answers.withLock { $0 = (fromFiles, fromIndex) }
            let columns = try await app.services.timeline.searcher.aggregate(
                request, tenant: Timeline.tenant, settings: app.services.settings(tenant: Timeline.tenant))
            #expect("\(columns.total) \(columns.results.map { "\($0.name)=\($0.result)" })" == fromIndex)
        }
        let fromFiles = answers.withLock { $0.files }
        for month in Self.fixtureMonths { try FileManager.default.removeItem(atPath: dir + "/index/events/\(month)/columns.bin") }
        try await TestApp.run(redis: .none, directory: dir, keep: true) { app in
            let load = app.services.timeline.columnLoad
            #expect(load.rebuilt == Self.fixtureMonths.count && load.fromFiles == 0)
            #expect(load.storeEvents == Timeline.events.count)
            #expect(load.problems.isEmpty, "an absent file is not a problem")
            let token = try await app.token(tenant: Timeline.tenant)
            #expect(Self.stripTook(try await app.aggregate(Self.wideAggregation, token: token).text) == fromFiles)
            // The rebuilt months got their files back.
            for month in Self.fixtureMonths { #expect(FileManager.default.fileExists(atPath: Self.columnFile(app, month))) }
        }
        try await TestApp.run(redis: .none, directory: dir, keep: true) { app in
            #expect(app.services.timeline.columnLoad.storeEvents == 0)
        }
    }

    static func stripTook(_ text: String) -> String {
        text.replacingOccurrences(of: #""took_ms":[0-9.]+"#, with: "", options: .regularExpression)
            .replacingOccurrences(of: #""cache":"[a-z]+""#, with: "", options: .regularExpression)
    }

    /// A corrupt file, a file of another version and a stale one (behind its month's
    /// `last_seq`): each costs only its own month, and the answers stay right.
    @Test func corruptOtherVersionAndStaleFilesAreRebuilt() async throws {
        let dir = TestApp.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let events = dir + "/index/events"
        try await Timeline.withFixture(keep: dir) { app, token in
            try FileManager.default.copyItem(atPath: Self.columnFile(app, "2024-03"), toPath: dir + "/march-before")
            // Two new March events: March's file is rewritten with them (at close at the latest).
            try await app.bulk("/v1/events/_bulk", """
                {"id":"late-1","type":"release","source":"s","occurred_at":"2024-03-05T00:00:00Z","attributes":{"insertions":5000}}
                {"id":"late-2","type":"release","source":"s","occurred_at":"2024-03-06T00:00:00Z"}
                """, token: token)
            try await app.services.timeline.catchUp()
        }
        // March: put back the file from before the two events (stale). January: flip a
        // payload byte (corrupt). February: another format version.
        try FileManager.default.removeItem(atPath: events + "/2024-03/columns.bin")
        try FileManager.default.moveItem(atPath: dir + "/march-before", toPath: events + "/2024-03/columns.bin")
        var january = FileManager.default.contents(atPath: events + "/2024-01/columns.bin")!
        january[january.count - 3] ^= 0xFF
        try january.write(to: URL(fileURLWithPath: events + "/2024-01/columns.bin"))
        var february = FileManager.default.contents(atPath: events + "/2024-02/columns.bin")!
        february[8] = 99
        try february.write(to: URL(fileURLWithPath: events + "/2024-02/columns.bin"))

        try await TestApp.run(redis: .none, directory: dir, keep: true) { app in
            let load = app.services.timeline.columnLoad
            #expect(load.toppedUp == 1, "March is topped up from the store")
            #expect(load.rebuilt == 2, "January and February are read from the store")
            #expect(load.fromFiles == Self.fixtureMonths.count - 2)
            let january = Timeline.matching(from: "2024-01-01T00:00:00Z", to: "2024-02-01T00:00:00Z").count
            let february = Timeline.matching(from: "2024-02-01T00:00:00Z", to: "2024-03-01T00:00:00Z").count
            #expect(load.storeEvents == january + february + 2)
            #expect(load.problems.contains { $0.hasPrefix("2024-01: corrupt") }, "\(load.problems)")
            #expect(load.problems.contains { $0.hasPrefix("2024-02: format version 99") }, "\(load.problems)")
            #expect(app.services.timeline.columns.rowCount == Timeline.events.count + 2)
            let token = try await app.token(tenant: Timeline.tenant)
            let releases = try await app.get(
                "/v1/events/search?limit=0&filter=" + Timeline.q(#"type = "release" AND attributes.insertions >= 1000"#), token: token)
            let expected = Timeline.matching { $0.type == "release" && ($0.attributes["insertions"]?.numberValue ?? 0) >= 1000 }.count + 1
            #expect(releases.at("total.value")?.integerValue == Int64(expected), "\(releases.text)")
        }
        // Every month has a fresh file again.
        try await TestApp.run(redis: .none, directory: dir, keep: true) { app in
            #expect(app.services.timeline.columnLoad.storeEvents == 0)
            #expect(app.services.timeline.columnLoad.problems.isEmpty)
        }
    }

    /// Retention dropping a month drops its column file with its directory.
    @Test func retentionRemovesTheColumnFile() async throws {
        // Keep from 2024-06: the fixture's January to April expire at start.
        let now = Date().timeIntervalSince1970
        let days = Int((now - Double(Timeline.t("2024-06-15T00:00:00Z")) / 1e6) / 86_400)
        try await Timeline.withFixture(configure: { $0.events.retentionDays = days }) { app, token in
            for month in ["2024-01", "2024-02", "2024-03", "2024-04"] {
                #expect(!FileManager.default.fileExists(atPath: Self.columnFile(app, month)), "\(month)")
            }
            for month in ["2024-10", "2024-11"] { #expect(FileManager.default.fileExists(atPath: Self.columnFile(app, month))) }
            let kept = Timeline.matching(from: "2024-06-01T00:00:00Z").count
            #expect(app.services.timeline.columns.rowCount == kept)
            #expect(app.services.timeline.columnLoad.storeEvents == 0)
        }
    }

    /// A filtered `limit=0` count without `q` comes from the columns and equals the index's.
    @Test func filteredCountsFromTheColumnsEqualTheIndex() async throws {
        try await Timeline.withFixture { app, token in
            let filters = [
                #"attributes.insertions >= 1000"#, #"type = "release""#, #"attributes.insertions < 10 AND source != "apple/swift-nio""#,
                #"NOT attributes.email_domain = "users.noreply.github.com""#, #"attributes.files_changed IN [1, 2, 3] OR actor = "ktoso""#,
                #"attributes.missing >= 1"#, #"entity.id EXISTS AND severity = "info""#, #"occurred_at >= "2024-03-10T00:00:00Z""#,
            ]
            let ranges = ["", "&from=2024-02-10T00:00:00Z&to=2024-10-25T12:00:00Z"]
            let searcher = app.services.timeline.searcher
            let settings = app.services.settings(tenant: Timeline.tenant)
            for filter in filters {
                for range in ranges {
                    var values: [String: JSONValue] = ["limit": "0", "filter": .string(filter)]
                    if !range.isEmpty {
                        values["from"] = "2024-02-10T00:00:00Z"
                        values["to"] = "2024-10-25T12:00:00Z"
                    }
                    let request = try EventSearchRequest(parameters: RequestParameters(values: values))
                    let index = try await searcher.search(request, tenant: Timeline.tenant, settings: settings, forceIndex: true)
                    let columns = try await searcher.search(request, tenant: Timeline.tenant, settings: settings)
                    #expect(columns.total == index.total, "\(filter) \(range)")
                    let reply = try await app.get("/v1/events/search?limit=0&filter=" + Timeline.q(filter) + range, token: token)
                    #expect(reply.at("total.value")?.integerValue == Int64(index.total), "\(filter) \(range): \(reply.text.prefix(200))")
                }
            }
            let insertions = Timeline.matching { ($0.attributes["insertions"]?.numberValue ?? 0) >= 1000 }.count
            let reply = try await app.get("/v1/events/search?limit=0&filter=" + Timeline.q("attributes.insertions >= 1000"), token: token)
            #expect(reply.at("total.value")?.integerValue == Int64(insertions))
        }
    }

    /// The offline paths write the files too: an import's catch-up, and `almanac reindex
    /// events`, which rewrites every month's file from the store.
    @Test func offlineCatchUpAndReindexWriteTheFiles() async throws {
        let dir = TestApp.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var configuration = AlmanacConfiguration()
        configuration.dataDirectory = dir
        try FileManager.default.createDirectory(atPath: dir + "/index", withIntermediateDirectories: true)
        let store = try Store(path: configuration.storePath)
        let report = try await Importer(store: store, collection: .events, tenant: "imp", progress: false)
            .run(path: Fixtures.directory + "/events_5k.ndjson")
        #expect(report.accepted == Timeline.events.count)
        let logger = Logger(label: "test")
        #expect(try Maintenance.catchUp(configuration, store: store, logger: logger))
        let events = configuration.eventIndexDirectory
        for month in Self.fixtureMonths {
            let file = try EventColumnFile.read(from: events + "/" + month)
            #expect(file.seq == Int64(Timeline.events.count), "\(month)")
        }
        // Damage every file; the rebuild writes them all again.
        for month in Self.fixtureMonths { try Data("junk".utf8).write(to: URL(fileURLWithPath: events + "/\(month)/columns.bin")) }
        try Maintenance.reindexEvents(configuration, store: store, logger: logger)
        var rows = 0
        for month in Self.fixtureMonths { rows += try EventColumnFile.read(from: events + "/" + month).rowCount }
        #expect(rows == Timeline.events.count)
        try store.close()
        try await TestApp.run(redis: .none, directory: dir) { app in
            #expect(app.services.timeline.columnLoad.storeEvents == 0)
            #expect(app.services.timeline.columnLoad.fromFiles == Self.fixtureMonths.count)
            let token = try await app.token(tenant: "imp")
            let count = try await app.get("/v1/events/search?limit=0&filter=" + Timeline.q(#"type = "release""#), token: token)
            #expect(count.at("total.value")?.integerValue == Int64(Timeline.matching { $0.type == "release" }.count))
        }
    }

    // MARK: - The port while the services open

    /// `/health` answers from the first moment; `/ready` says what is loading; data
    /// routes answer 503 with `Retry-After` until the services are open.
    @Test func healthAnswersWhileTheServicesOpen() async throws {
        let dir = TestApp.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var c = AlmanacConfiguration()
        c.dataDirectory = dir
        c.redisURL = nil
        var logger = Logger(label: "almanac.test")
        logger.logLevel = .warning
        let gate = Gate()
        let startup = ServicesStartup(configuration: c, logger: logger) { c, logger, progress in
            // A slow loading step: the columns "loading", held until the test lets go.
            progress.begin("timeline columns", total: 12, unit: "months")
            progress.advance(done: 3)
            await gate.wait()
            return try await AlmanacServices.open(c, logger: logger, progress: progress)
        }
        let app = AlmanacApplication.make(startup: startup)
        try await app.test(.router) { client in
            let health = try await client.execute(uri: "/health", method: .get)
            #expect(health.status == .ok)
            let ready = try await client.execute(uri: "/ready", method: .get)
            #expect(ready.status == .serviceUnavailable)
            let body = try JSONParser.parse(Array(ready.body.readableBytesView))
            #expect(body["status"]?.stringValue == "not ready")
            #expect(body["cause"]?.stringValue == "starting: timeline columns: 3 of 12 months", "\(body)")
            #expect(body.at("starting.phase")?.stringValue == "timeline columns")
            #expect(body.at("starting.done")?.integerValue == 3 && body.at("starting.total")?.integerValue == 12)
            for uri in ["/v1/events/search?limit=0", "/v1/products/search?q=x", "/metrics"] {
                let data = try await client.execute(uri: uri, method: .get)
                #expect(data.status == .serviceUnavailable, "\(uri)")
                #expect(data.headers[.contentType] == "application/problem+json")
                #expect(data.headers[.retryAfter] == "1")
                let problem = try JSONParser.parse(Array(data.body.readableBytesView))
                #expect(problem["detail"]?.stringValue?.contains("timeline columns: 3 of 12 months") == true, "\(problem)")
            }
            await gate.open()
            var services: AlmanacServices?
            for _ in 0..<500 where services == nil {
                services = startup.services
                if services == nil { try await Task.sleep(for: .milliseconds(20)) }
            }
            let opened = try #require(services)
            #expect(try await client.execute(uri: "/ready", method: .get).status == .ok)
            let testApp = TestApp(services: opened, client: client, directory: dir)
            let token = try await testApp.token(tenant: "startup")
            let search = try await testApp.get("/v1/events/search?limit=0", token: token)
            #expect(search.status == 200, "\(search.text)")
            #expect(try await client.execute(uri: "/nope", method: .delete).status == .notFound)
        }
    }
}

/// A one-shot gate a test opens.
actor Gate {
    private var isOpen = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    func wait() async {
        if isOpen { return }
        await withCheckedContinuation { waiters.append($0) }
    }

    func open() {
        isOpen = true
        for w in waiters { w.resume() }
        waiters = []
    }
}
