import AlmanacCore
import AlmanacStore
import AlmanacTestSupport
import Foundation
import GRDB
import Logging
import Testing

@testable import AlmanacApp

/// `almanac check --deep` compares content, not counts: a record changed behind the
/// index's back is named, with its version, and the command exits non-zero.
@Suite struct DeepCheckTests {
    @Test(.enabled(if: AlmanacCLI.isAvailable, "the almanac executable is not built next to the tests"))
    func contentThatDiffersIsNamedAndFailsTheCommand() async throws {
        let directory = TestApp.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var configuration = AlmanacConfiguration()
        configuration.dataDirectory = directory
        let store = try Store(path: configuration.storePath)
        let products = directory + "/products.ndjson", events = directory + "/events.ndjson"
        try Fixtures.lines("products_2k.ndjson", count: 50).write(toFile: products, atomically: true, encoding: .utf8)
        try Fixtures.lines("events_5k.ndjson", count: 50).write(toFile: events, atomically: true, encoding: .utf8)
        _ = try await Importer(store: store, collection: .products, tenant: "deep", progress: false).run(path: products)
        _ = try await Importer(store: store, collection: .events, tenant: "deep", progress: false).run(path: events)
        #expect(try Maintenance.catchUp(configuration, store: store, logger: Logger(label: "test")))
        #expect(try Maintenance.deepCheck(configuration, store: store).isEmpty)

        // Behind the index's back: one product's content and version, one event's message.
        let (productID, eventID) = try await store.pool.write { db -> (String, String) in
            let id = try String.fetchOne(db, sql: "SELECT id FROM products ORDER BY id LIMIT 1")!
            try db.execute(
                sql: "UPDATE products SET body = json_set(body, '$.title', 'Tampered', '$.version', version + 1), version = version + 1 WHERE id = ?",
                arguments: [id])
            let event = try String.fetchOne(db, sql: "SELECT id FROM events WHERE id NOT LIKE 'product:%' ORDER BY seq LIMIT 1")!
            try db.execute(sql: "UPDATE events SET body = json_set(body, '$.message', 'tampered') WHERE id = ?", arguments: [event])
            return (id, event)
        }
        try store.close()

        // Counts still agree; content does not.
        let reopened = try Store(path: configuration.storePath)
        #expect(try Maintenance.check(configuration, store: reopened).isEmpty)
        let problems = try Maintenance.deepCheck(configuration, store: reopened)
        try reopened.close()
        #expect(problems.contains { $0.contains("product '\(productID)' of tenant deep (version 2)") }, "\(problems)")
        #expect(problems.contains { $0.contains("product '\(productID)' (version 1): the index holds") }, "\(problems)")
        #expect(problems.contains { $0.contains("event '\(eventID)' of tenant deep") }, "\(problems)")

        let plain = try AlmanacCLI.run(["check", "--data", directory])
        #expect(plain.status == 0, "\(plain.stdout) \(plain.stderr)")
        let deep = try AlmanacCLI.run(["check", "--deep", "--data", directory])
        #expect(deep.status != 0)
        #expect(deep.stdout.contains(productID), "\(deep.stdout)")
    }
}
