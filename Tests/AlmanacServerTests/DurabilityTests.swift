import AlmanacCore
import AlmanacServer
import AlmanacStore
import Foundation
import Testing
import HTTPTypes
import GRDB
import AlmanacApp

/// `durability`: what it parses to, the SQLite setting it puts in effect, and group commit
/// (concurrent single writes share commits, each acknowledged only once committed).
@Suite struct DurabilityTests {
    @Test func durabilityIsReadFromTheConfigFile() throws {
        let path = TestApp.temporaryDirectory() + "/config.json"
        var c = AlmanacConfiguration()
        #expect(c.durability == .fsync)
        #expect(c.storeOptions.durability == .fsync)
        try Data(#"{"durability": "process"}"#.utf8).write(to: URL(fileURLWithPath: path))
        try c.apply(configFile: path)
        #expect(c.durability == .process)
        #expect(c.storeOptions.durability == .process)
        try Data(#"{"durability": "fsync"}"#.utf8).write(to: URL(fileURLWithPath: path))
        try c.apply(configFile: path)
        #expect(c.durability == .fsync)
        #expect(c.storeOptions.groupCommitLimit == 256)
        try Data(#"{"group_commit_max_writes": 1}"#.utf8).write(to: URL(fileURLWithPath: path))
        try c.apply(configFile: path)
        #expect(c.storeOptions.groupCommitLimit == 1)
        try Data(#"{"durability": "sometimes"}"#.utf8).write(to: URL(fileURLWithPath: path))
        #expect {
            try c.apply(configFile: path)
        } throws: { error in
            (error as? AlmanacError)?.detail.contains(#"durability must be "fsync" or "process""#) == true
        }
    }

    @Test(arguments: [(Durability.fsync, 2), (.process, 1)])
    func theSynchronousPragmaIsInEffect(durability: Durability, synchronous: Int) async throws {
        try await TestApp.run(redis: .none, configure: { $0.durability = durability }) { app in
            #expect(try await app.services.store.synchronousMode() == synchronous)
            #expect(try await app.services.store.pool.read { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") } == synchronous)
            #expect(try await app.services.store.pool.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") } == "wal")
            let ready = try await app.get("/ready", token: nil)
            #expect(ready["durability"] == .string(durability.rawValue))
        }
    }

    /// Many concurrent single writes: every one acknowledged with its own seq, fewer commits
    /// than writes, and every one there after the store is closed and opened again.
    @Test func concurrentSingleWritesShareCommitsAndAllSurviveAReopen() async throws {
        let dir = TestApp.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/almanac.sqlite3"
        let count = 64
        var acknowledged: [String: Int64] = [:]
        do {
            let store = try Store(path: path)
            let context = WriteContext(tenant: "t", actor: "writer")
            let validator = ProductValidator()
            try await withThrowingTaskGroup(of: (String, Int64).self) { group in
                for i in 0..<count {
                    group.addTask {
                        let draft = try validator.validate(["title": .string("Product \(i)")], pathID: "p\(i)")
                        let result = try await store.putProduct(draft, ifMatch: nil, context: context)
                        return (result.id, result.seq)
                    }
                }
                // Members of a group that fail alone: a 412 does not undo the others.
                group.addTask {
                    let draft = try validator.validate(["title": .string("Never")], pathID: "p-never")
                    do {
                        _ = try await store.putProduct(draft, ifMatch: 7, context: context)
                        Issue.record("If-Match on a missing product succeeded")
                    } catch let e as AlmanacError {
                        #expect(e.code == .preconditionFailed)
                    }
                    return ("", 0)
                }
                for try await (id, seq) in group where !id.isEmpty { acknowledged[id] = seq }
            }
            #expect(acknowledged.count == count)
            #expect(Set(acknowledged.values).count == count, "seqs are not unique")
            let (commits, writes) = store.groupCommitCounts
            #expect(writes == count + 1)
            #expect(commits < writes, "no write shared a commit: \(commits) commits for \(writes) writes")
            try store.close()
        }
        let reopened = try Store(path: path)
        defer { try? reopened.close() }
        #expect(try await reopened.headSeq() == Int64(count * 2))
        for (id, seq) in acknowledged {
            let json = try #require(try await reopened.productJSON(tenant: "t", id: id), "\(id) lost")
            #expect(json.contains("\"version\":1"))
            // The product.created event of the same transaction is there with the answered seq.
            let event = try #require(try await reopened.eventJSON(tenant: "t", id: "product:\(id):\(seq)"), "event of \(id) lost")
            #expect(event.contains("\"seq\":\(seq)"))
        }
        #expect(try await reopened.productJSON(tenant: "t", id: "p-never") == nil)
    }

    /// The same through HTTP: concurrent PUTs all answered 201, all readable after a restart.
    @Test func concurrentPutsAreAllThereAfterARestart() async throws {
        let dir = TestApp.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let tenant = TestApp.tenant("dur")
        let credentials = Credentials()
        try await TestApp.run(redis: .none, directory: dir, keep: true) { app in
            let token = try await app.token(tenant: tenant)
            credentials.token = token
            try await withThrowingTaskGroup(of: Int.self) { group in
                for i in 0..<32 {
                    group.addTask {
                        try await app.request(.put, "/v1/products/c\(i)", token: token, json: #"{"title":"Concurrent \#(i)"}"#).status
                    }
                }
                for try await status in group { #expect(status == 201) }
            }
        }
        try await TestApp.run(redis: .none, directory: dir, keep: true) { app in
            for i in 0..<32 {
                let reply = try await app.get("/v1/products/c\(i)", token: credentials.token)
                #expect(reply.status == 200, "c\(i): \(reply.text)")
                #expect(reply["title"] == .string("Concurrent \(i)"))
            }
        }
    }
}

/// A token carried from one run of the app to the next (the master key stays in the directory).
private final class Credentials: @unchecked Sendable {
    var token = ""
}
