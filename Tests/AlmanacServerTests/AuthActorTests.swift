import Foundation
import GRDB
import Testing

@testable import AlmanacApp
@testable import AlmanacServer
import HTTPTypes
import AlmanacTestSupport
import AlmanacAuth
import AlmanacCore
import AlmanacStore

/// Every write records the acting client: as `written_by` of its stored timeline event
/// (the change-log row carries it too, until the indexer has applied and pruned it), and
/// as `actor` of the catalogue's timeline events.
@Suite("Auth: the acting client on every write")
struct AuthActorTests {
    /// The writing client of each of the product's stored timeline events, oldest first.
    func writers(_ app: TestApp, tenant: String, id: String) async throws -> [String?] {
        try await app.services.store.pool.read { db in
            try Row.fetchAll(
                db, sql: "SELECT written_by FROM events WHERE tenant = ? AND entity_type = 'product' AND entity_id = ? ORDER BY seq",
                arguments: [tenant, id]
            ).map { $0["written_by"] }
        }
    }

    @Test func catalogueEventsCarryTheClientAsActor() async throws {
        try await AuthHarness.run { app, _ in
            let tenant = TestApp.tenant()
            let (writer, token) = try await app.newClient(tenant: tenant)
            let (editor, editorToken) = try await app.newClient(tenant: tenant)

            let put = try await app.putProduct("p1", kettle, token: token)
            let createdSeq = try #require(put["seq"]?.integerValue)
            let created = try await app.get("/v1/events/product:p1:\(createdSeq)", token: token)
            #expect(created.status == 200, "\(created.text)")
            #expect(created["type"] == "product.created")
            #expect(created["actor"] == .string(writer.clientID))

            let patch = try await app.request(.patch, "/v1/products/p1?wait=true", token: editorToken, json: #"{"price":1999}"#)
            #expect(patch.status == 200, "\(patch.text)")
            #expect(try await app.request(.delete, "/v1/products/p1?wait=true", token: token).status == 200)

            let history = try await app.get("/v1/entities/product/p1/events", token: token)
            let events = try #require(history["events"]?.arrayValue)
            #expect(events.map { $0["type"]?.stringValue ?? "" } == ["product.created", "product.updated", "product.deleted"])
            #expect(events.map { $0["actor"]?.stringValue ?? "" } == [writer.clientID, editor.clientID, writer.clientID])

            // The stored rows: create, update, delete, each with its client.
            #expect(try await writers(app, tenant: tenant, id: "p1") == [writer.clientID, editor.clientID, writer.clientID])
        }
    }

    @Test func bulkWritesAndEventsRecordTheClient() async throws {
        try await AuthHarness.run { app, _ in
            let tenant = TestApp.tenant()
            let (client, token) = try await app.newClient(tenant: tenant)
            try await app.bulk("/v1/products/_bulk", #"{"id":"b1","title":"Bulk kettle"}"# + "\n", token: token)
            #expect(try await writers(app, tenant: tenant, id: "b1") == [client.clientID])
            let history = try await app.get("/v1/entities/product/b1/events", token: token)
            #expect(history.at("events.0.actor") == .string(client.clientID))

            // A pushed event keeps its own actor (the producer's, e.g. a commit author); the
            // writing client is recorded on the row.
            let event = #"{"id":"e1","type":"commit","source":"git","occurred_at":"2024-01-02T03:04:05Z","actor":"Jane Doe"}"#
            #expect(try await app.request(.post, "/v1/events", token: token, json: event).status == 201)
            #expect(try await app.get("/v1/events/e1", token: token)["actor"] == "Jane Doe")
            let writtenBy = try await app.services.store.pool.read { db in
                try String.fetchOne(db, sql: "SELECT written_by FROM events WHERE tenant = ? AND id = 'e1'", arguments: [tenant])
            }
            #expect(writtenBy == client.clientID)
        }
    }
}
