import AlmanacCore
import AlmanacIndex
import AlmanacServer
import AlmanacStore
import Foundation
import GRDB
import Testing

#if canImport(Glibc)
import Glibc
import AlmanacApp
import HTTPTypes
#endif

/// A small tmpfs mounted for one test, to be filled for real (ENOSPC from the kernel, so
/// SQLite answers SQLITE_FULL and Xapian "No space left on device"). Mounting needs root
/// (CAP_SYS_ADMIN); scripts/test.sh runs as root in CI. Without it `mount` answers nil and
/// the tests that need a full disk say so and skip; the store-level test below still
/// makes SQLite run out of room through `PRAGMA max_page_count`, which needs no privilege.
struct SmallFilesystem {
    let path: String

    static func mount(megabytes: Int) -> SmallFilesystem? {
        let path = TestApp.temporaryDirectory() + "/tmpfs"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        guard Glibc.mount("tmpfs", path, "tmpfs", 0, "size=\(megabytes)m,mode=0755") == 0 else { return nil }
        return SmallFilesystem(path: path)
    }

    static var canMount: Bool {
        guard let fs = mount(megabytes: 1) else { return false }
        fs.unmount()
        return true
    }

    func unmount() {
        _ = umount2(path, Int32(MNT_DETACH))
        try? FileManager.default.removeItem(atPath: path)
    }

    var freeBytes: Int64 { StorageHealth.freeBytes(at: path) ?? 0 }

    /// Fills the filesystem to the last byte with `name`; answers the bytes written.
    @discardableResult
    func fill(_ name: String = "filler") -> Int {
        let fd = open(path + "/" + name, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        guard fd >= 0 else { return 0 }
        defer { close(fd) }
        var total = 0
        for size in [1 << 20, 64 << 10, 4 << 10, 512, 1] {
            let chunk = [UInt8](repeating: 0x61, count: size)
            while true {
                let n = chunk.withUnsafeBytes { write(fd, $0.baseAddress, size) }
                if n <= 0 { break }
                total += n
            }
        }
        fsync(fd)
        return total
    }

    func free(_ name: String = "filler") {
        try? FileManager.default.removeItem(atPath: path + "/" + name)
    }
}

@Suite(.serialized) struct StorageFaultTests {
    /// Writes until one answers 507: a full filesystem can still take a write that fits in
    /// pages SQLite already has, so the first one may succeed.
    static func writeUntil507(_ app: TestApp, token: String, tries: Int = 20) async throws -> Reply? {
        let description = String(repeating: "storage ", count: 2_000)
        for i in 0..<tries {
            let reply = try await app.request(
                .put, "/v1/products/fill-\(i)", token: token, json: #"{"title":"Filler \#(i)","description":"\#(description)"}"#)
            if reply.status == 507 { return reply }
        }
        return nil
    }

    @Test(.enabled(if: SmallFilesystem.canMount, "mounting a tmpfs needs root; see SmallFilesystem"))
    func fullDiskAnswers507AndReady503ThenRecoversByItself() async throws {
        let fs = try #require(SmallFilesystem.mount(megabytes: 24))
        defer { fs.unmount() }
        try await TestApp.run(redis: .none, directory: fs.path + "/data") { app in
            let token = try await app.token(tenant: "full")
            try await app.putProduct("kept", #"{"title":"Kept kettle"}"#, token: token)
            #expect(try await app.get("/ready", token: nil).status == 200)
            let transitionsBefore = app.services.store.health.transitions

            fs.fill()
            #expect(fs.freeBytes == 0)
            // PUT: 507 problem+json naming the store.
            let put = try #require(try await Self.writeUntil507(app, token: token), "no write answered 507 on a full disk")
            #expect(put.isProblem(507, mentioning: "the store (almanac.sqlite3)"), "\(put.text)")
            #expect(put["type"] == "https://almanac.dev/problems/insufficient-storage")
            #expect(put["detail"]?.stringValue?.contains("no space left on the device") == true, "\(put.text)")
            // DELETE, bulk and an event: the same.
            let delete = try await app.request(.delete, "/v1/products/kept", token: token)
            #expect(delete.isProblem(507, mentioning: "the store"), "\(delete.text)")
            let lines = (0..<200).map { #"{"id":"bulk-\#($0)","title":"Bulk \#($0)","description":"\#(String(repeating: "x", count: 500))"}"# }
            let bulk = try await app.request(
                .post, "/v1/products/_bulk", token: token, body: Array(lines.joined(separator: "\n").utf8),
                headers: [(.contentType, "application/x-ndjson")])
            #expect(bulk.isProblem(507, mentioning: "the store"), "\(bulk.text)")
            let event = try await app.request(
                .post, "/v1/events", token: token,
                json: #"{"type":"deploy","source":"ci","occurred_at":"2026-01-01T00:00:00Z","message":"\#(String(repeating: "m", count: 8000))"}"#)
            #expect(event.isProblem(507), "\(event.text)")
            // /ready: 503 with the cause.
            let ready = try await app.get("/ready", token: nil)
            #expect(ready.status == 503)
            #expect(ready["store"] == "full")
            #expect(ready["cause"]?.stringValue?.contains("the store") == true, "\(ready.text)")
            #expect(ready.at("storage_faults.0.component") == "store")
            #expect(ready.at("storage_faults.0.kind") == "full")
            // Reads still work.
            #expect(try await app.get("/v1/products/kept", token: token).status == 200)
            // Many failed writes, one change of state (one log line).
            #expect(app.services.store.health.transitions == transitionsBefore + 1)

            fs.free()
            // Recovery by itself: no write needed, /ready turns 200.
            var recovered = false
            for _ in 0..<100 {
                if try await app.get("/ready", token: nil).status == 200 {
                    recovered = true
                    break
                }
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(recovered, "/ready did not recover")
            #expect(app.services.store.health.transitions == transitionsBefore + 2)
            // Writes succeed again: PUT, DELETE, bulk.
            try await app.putProduct("after", #"{"title":"After the storm"}"#, token: token)
            #expect(try await app.request(.delete, "/v1/products/kept", token: token).status == 200)
            let bulkAgain = try await app.request(
                .post, "/v1/products/_bulk?wait=true", token: token, body: Array(lines.prefix(20).joined(separator: "\n").utf8),
                headers: [(.contentType, "application/x-ndjson")])
            #expect(bulkAgain.status == 200 && bulkAgain["accepted"] == 20, "\(bulkAgain.text)")
            let metrics = try await app.get("/metrics", token: nil).text
            #expect(metrics.contains(#"almanac_storage_fault{component="store"} 0.0"#))
            #expect(metrics.contains(#"almanac_http_requests_total{route="/v1/products/{id}",method="PUT",status="507"}"#))
        }
    }

    /// A batch that fails on a full disk can leave Xapian's handle closed ("Modifications
    /// failed ... and couldn't open at the old revision"); the writer reopens it, so
    /// indexing resumes once there is room, without a restart.
    @Test(.enabled(if: SmallFilesystem.canMount, "mounting a tmpfs needs root; see SmallFilesystem"))
    func productIndexWriterResumesOnceTheDiskHasRoomAgain() throws {
        let fs = try #require(SmallFilesystem.mount(megabytes: 8))
        defer { fs.unmount() }
        func change(_ i: Int) -> ProductIndexChange {
            ProductIndexChange(
                tenant: "t", id: "p\(i)",
                json: #"{"id":"p\#(i)","title":"Product \#(i) kettle","description":"\#(String(repeating: "words of a description ", count: 40))","created_at":"2026-01-01T00:00:00Z","updated_at":"2026-01-01T00:00:00Z","version":1}"#)
        }
        let writer = try ProductIndexWriter(path: fs.path + "/products", slots: SlotRegistry(path: nil), vocabulary: TypoVocabulary())
        defer { try? writer.close() }
        try writer.apply([change(0)], watermark: 1, settings: { _ in SearchSettings() })
        fs.fill()
        let batch = (1...200).map(change)
        for _ in 0..<3 {
            #expect(throws: (any Error).self) { try writer.apply(batch, watermark: 2, settings: { _ in SearchSettings() }) }
        }
        fs.free()
        try writer.apply(batch, watermark: 2, settings: { _ in SearchSettings() })
        #expect(writer.lastSeq == 2)
        #expect(writer.documentCount == 201)
    }

    /// Without a mount: SQLite's own page limit makes the store full (SQLITE_FULL through
    /// the same code path), then lifting it frees room.
    @Test func storeAnswers507WhenSQLiteIsFullAndRecovers() async throws {
        let dir = TestApp.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var options = StoreOptions()
        // Checked by hand below: SQLite's page limit is invisible to the background probe.
        options.recoveryCheckInterval = .seconds(600)
        options.recoveryHeadroomBytes = 0
        let store = try Store(path: dir + "/almanac.sqlite3", options: options)
        defer { try? store.close() }
        let context = WriteContext(tenant: "t", actor: nil)
        let validator = ProductValidator()
        func draft(_ id: String) throws -> ProductValidator.Draft {
            try validator.validate(["title": .string(String(repeating: "t", count: 400)), "description": .string(String(repeating: "d", count: 15_000))], pathID: id)
        }
        _ = try await store.putProduct(try draft("a"), ifMatch: nil, context: context)
        let pages = try await store.pool.write { db in try Int.fetchOne(db, sql: "PRAGMA page_count")! }
        _ = try await store.pool.write { db in try Int.fetchOne(db, sql: "PRAGMA max_page_count = \(pages)") }
        var caught: AlmanacError?
        for i in 0..<10 {
            do { _ = try await store.putProduct(try draft("b\(i)"), ifMatch: nil, context: context) } catch let e as AlmanacError {
                caught = e
                break
            }
        }
        let error = try #require(caught)
        #expect(error.code == .insufficientStorage)
        #expect(error.detail.contains("the store (almanac.sqlite3)"))
        #expect(store.health.fault(.store)?.kind == .full)
        #expect(await store.isWritable() == false)
        _ = try await store.pool.write { db in try Int.fetchOne(db, sql: "PRAGMA max_page_count = 1073741823") }
        await store.health.recheck()
        #expect(store.health.fault(.store) == nil)
        _ = try await store.putProduct(try draft("c"), ifMatch: nil, context: context)
        #expect(store.health.transitions == 2)
    }

    @Test func storageFaultsAreClassified() {
        #expect(StorageFault.classify(DatabaseError(resultCode: .SQLITE_FULL)) == .full)
        #expect(StorageFault.classify(DatabaseError(resultCode: .SQLITE_IOERR_WRITE)) == .io)
        #expect(StorageFault.classify(DatabaseError(resultCode: .SQLITE_CONSTRAINT)) == nil)
        #expect(StorageFault.classify(POSIXError(.ENOSPC)) == .full)
        #expect(StorageFault.classify(POSIXError(.EDQUOT)) == .quota)
        #expect(StorageFault.classify(POSIXError(.ENOENT)) == nil)
        let xapian = XapianError(
            code: .database, type: "DatabaseError", message: "Error writing block 9 (No space left on device)", context: "add document")
        #expect(StorageFault.classify(xapian) == .full)
        #expect(StorageFault.classify(XapianError(code: .databaseLocked, type: "DatabaseLockError", message: "locked")) == nil)
        #expect(StorageFault.classify(AlmanacError.insufficientStorage("x", .quota)) == .quota)
        #expect(StorageFault.classify(AlmanacError(.internalError, "no")) == nil)
    }

    /// An index that cannot write: /ready says which and why, one log line each way, and
    /// the fault clears once the indexer makes progress again (the indexers report with
    /// `store.health.report(.productIndex, error, progress:)` in their catch blocks).
    @Test func indexFaultMakesReady503UntilTheIndexerProgresses() async throws {
        try await TestApp.run(redis: .none) { app in
            let health = app.services.store.health
            let progress = Watermark(5)
            let full = XapianError(code: .database, type: "DatabaseError", message: "Error writing block 3 (No space left on device)")
            let first = health.report(.productIndex, full, progress: { progress.value })
            let repeated = health.report(.productIndex, full, progress: { progress.value })
            let other = health.report(.productIndex, XapianError(code: .other, type: "Error", message: "something else"))
            #expect(first && repeated && !other)
            #expect(health.transitions == 1)
            let ready = try await app.get("/ready", token: nil)
            #expect(ready.status == 503)
            #expect(ready.at("indexes.products.storage") == "full")
            #expect(ready["cause"]?.stringValue?.contains("the product index") == true, "\(ready.text)")
            #expect(ready["store"] == "writable")
            // No progress: still faulted after a recheck.
            await health.recheck()
            #expect(health.fault(.productIndex) != nil)
            progress.advance(to: 6)
            await health.recheck()
            #expect(health.fault(.productIndex) == nil)
            #expect(health.transitions == 2)
            #expect(try await app.get("/ready", token: nil).status == 200)
        }
    }
}
