import AlmanacCore
import Foundation
import Testing

@testable import AlmanacApp
import AlmanacIndex
import AlmanacStore

/// What the application layer promises beneath the routes: one bulk rule for both entry
/// points, a change log that stays bounded, waits that leave nothing behind.
@Suite struct ApplicationLayerTests {
    /// Four lines, `p1` three times: each line is applied in order.
    static let repeated = """
        {"id":"p1","title":"First kettle"}
        {"id":"p2","title":"Teapot"}
        {"id":"p1","title":"Second kettle"}
        {"id":"p1","title":"Third kettle","price":1500,"currency":"EUR"}

        """

    @Test func aFileGivesTheSameVersionsAndEventsThroughBulkAndImport() async throws {
        try await TestApp.run { app in
            let viaBulk = TestApp.tenant("bulk"), viaImport = TestApp.tenant("import")
            let token = try await app.token(tenant: viaBulk)
            let importToken = try await app.token(tenant: viaImport)
            let reply = try await app.bulk("/v1/products/_bulk", Self.repeated, token: token)
            #expect(reply["accepted"] == 4)

            let file = app.directory + "/repeated.ndjson"
            try Self.repeated.write(toFile: file, atomically: true, encoding: .utf8)
            let report = try await Importer(store: app.services.store, collection: .products, tenant: viaImport, progress: false)
                .run(path: file)
            #expect(report.accepted == 4)
            #expect(report.duplicates == nil)
            try await app.services.catalogue.catchUp()

            for (tenant, token) in [(viaBulk, token), (viaImport, importToken)] {
                let p1 = try await app.get("/v1/products/p1", token: token)
                #expect(p1["version"] == 3, "\(tenant): \(p1.text)")
                #expect(p1["title"] == "Third kettle")
                #expect(try await app.get("/v1/products/p2", token: token)["version"] == 1)
                let history = try await app.get("/v1/entities/product/p1/events?min_seq=\(report.seq)", token: token)
                #expect(
                    history["events"]?.arrayValue?.map { $0["type"]?.stringValue ?? "" }
                        == ["product.created", "product.updated", "product.updated"], "\(tenant): \(history.text)")
            }
            // Both report the same way (products have no duplicates field).
            #expect(reply["duplicates"] == nil)
            #expect(JSONWriter.string(report.json).contains("duplicates") == false)
        }
    }

    @Test func theChangeLogStaysBoundedUnderALongWriteLoad() async throws {
        try await TestApp.run(configure: { $0.index.pruneInterval = .zero }) { app in
            let tenant = TestApp.tenant()
            let token = try await app.token(tenant: tenant)
            var most = 0
            for round in 0..<20 {
                let lines = (0..<200).map { #"{"id":"p\#($0)","title":"Kettle \#(round)"}"# }.joined(separator: "\n")
                try await app.bulk("/v1/products/_bulk", lines, token: token)
                most = max(most, try app.services.store.productChangeCount())
            }
            try await app.services.catalogue.catchUp()
            // 4000 changes written; at most the batch in hand (and the one being written)
            // was ever waiting, and nothing is left once the index has applied it all.
            #expect(most <= 400, "the change log held \(most) rows")
            #expect(try app.services.store.productChangeCount() == 0)
            let search = try await app.get("/v1/products/search?q=kettle&limit=1", token: token)
            #expect(search.at("total.value") == 200)
        }
    }

    @Test func aCancelledMinSeqWaitLeavesNoWaiter() async throws {
        try await TestApp.run(redis: .none) { app in
            let watermark = app.services.catalogue.watermark
            let waiting = Task { await watermark.wait(for: 1_000_000, timeout: .seconds(60)) }
            for _ in 0..<500 where watermark.waiterCount == 0 { try await Task.sleep(for: .milliseconds(2)) }
            #expect(watermark.waiterCount == 1)
            waiting.cancel()
            #expect(await waiting.value == false)
            #expect(watermark.waiterCount == 0)
        }
    }
}
