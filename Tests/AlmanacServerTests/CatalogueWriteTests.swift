@testable import AlmanacApp
import AlmanacStore
import Foundation
import Logging
import Testing
import HTTPTypes
import AlmanacCore

@Suite struct CatalogueWriteTests {
    @Test func putPatchDeleteWithVersionsAndIfMatch() async throws {
        try await TestApp.run(redis: .none) { app in
            let token = try await app.token(tenant: TestApp.tenant())
            let created = try await app.request(.put, "/v1/products/p1", token: token, json: kettle)
            #expect(created.status == 201)
            #expect(created["version"] == 1)
            let replaced = try await app.request(.put, "/v1/products/p1", token: token, json: kettle)
            #expect(replaced.status == 200)
            #expect(replaced["version"] == 2)
            let stale = try await app.request(.patch, "/v1/products/p1", token: token, json: #"{"price":1}"#, headers: [(.ifMatch, "1")])
            #expect(stale.isProblem(412, mentioning: "version 2"))
            let patched = try await app.request(.patch, "/v1/products/p1?wait=true", token: token, json: #"{"price":1,"tags":null}"#, headers: [(.ifMatch, "2")])
            #expect(patched.status == 200)
            #expect(patched["version"] == 3)
            let stored = try await app.get("/v1/products/p1", token: token)
            #expect(stored["price"] == 1)
            #expect(stored["tags"] == nil)
            #expect(stored["title"] == "Electric kettle")
            #expect(stored["version"] == 3)
            let invalidPatch = try await app.request(.patch, "/v1/products/p1", token: token, json: #"{"title":null}"#)
            #expect(invalidPatch.isProblem(400, mentioning: "title"))
            #expect(try await app.request(.patch, "/v1/products/nope", token: token, json: "{}").isProblem(404))
            let deleted = try await app.request(.delete, "/v1/products/p1?wait=true", token: token)
            #expect(deleted.status == 200)
            #expect(deleted["id"] == "p1")
            #expect(try await app.get("/v1/products/p1", token: token).isProblem(404))
            #expect(await app.search("q=kettle", token: token).hitIDs.isEmpty)
            #expect(try await app.request(.delete, "/v1/products/p1", token: token).isProblem(404))
            #expect(try await app.request(.put, "/v1/products/p9", token: token, json: kettle, headers: [(.ifMatch, "3")]).isProblem(412))
        }
    }

    @Test func validationNamesEachField() async throws {
        try await TestApp.run(redis: .none) { app in
            let token = try await app.token(tenant: TestApp.tenant())
            let reply = try await app.request(
                .put, "/v1/products/p1", token: token,
                json: #"{"title":"ok","price":-5,"currency":"XXXX","colour":"red","tags":"a"}"#)
            #expect(reply.isProblem(400))
            let fields = Set(reply["errors"]?.arrayValue?.compactMap { $0["field"]?.stringValue } ?? [])
            #expect(fields == ["price", "currency", "colour", "tags"])
            #expect(try await app.request(.put, "/v1/products/bad%20id", token: token, json: kettle).isProblem(400, mentioning: "id"))
            #expect(try await app.request(.put, "/v1/products/p1", token: token, json: "[1]").isProblem(400, mentioning: "object"))
            #expect(try await app.request(.put, "/v1/products/p1", token: token, body: [0x7B, 0x22, 0x74, 0x22, 0x3A, 0x22, 0xFF, 0x22, 0x7D]).isProblem(400, mentioning: "UTF-8"))
        }
    }

    @Test func bulkReportsEveryInvalidLineAndCommitsTheRest() async throws {
        try await TestApp.run(redis: .none) { app in
            let token = try await app.token(tenant: TestApp.tenant())
            let body = """
                {"id":"a","title":"Alpha"}
                {"id":"b","title":"Beta","price":-1}

                not json
                {"title":"no id"}
                {"id":"c","title":"Gamma"}
                """
            let reply = try await app.bulk("/v1/products/_bulk", body, token: token)
            #expect(reply["accepted"] == 2)
            let rejected = reply["rejected"]?.arrayValue ?? []
            #expect(rejected.map { $0["line"]?.integerValue } == [2, 4, 5])
            #expect(rejected[0]["id"] == "b")
            #expect(rejected[0]["error"]?.stringValue?.contains("price") == true)
            #expect(rejected[1]["error"]?.stringValue?.contains("malformed JSON") == true)
            #expect(await app.search("q=gamma", token: token).hitIDs == ["c"])
        }
    }

    @Test func bulkLimitsLinesAndBytes() async throws {
        try await TestApp.run(redis: .none, configure: { $0.limits.bulkLines = 3; $0.limits.bulkBodyBytes = 4096 }) { app in
            let token = try await app.token(tenant: TestApp.tenant())
            let lines = (0..<4).map { #"{"id":"p\#($0)","title":"t"}"# }.joined(separator: "\n")
            let tooMany = try await app.request(.post, "/v1/products/_bulk", token: token, body: Array(lines.utf8))
            #expect(tooMany.isProblem(413, mentioning: "3 lines"))
            let big = String(repeating: #"{"id":"p","title":"t"}"# + "\n", count: 300)
            #expect(try await app.request(.post, "/v1/products/_bulk", token: token, body: Array(big.utf8)).isProblem(413))
            #expect(try await app.get("/v1/products/p0", token: token).isProblem(404))
        }
    }

    @Test func importCommandLoadsAFileWithTheSameReport() async throws {
        let dir = TestApp.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let file = dir + "/in.ndjson"
        let lines = try Fixtures.lines("products_2k.ndjson", count: 50) + "{\"id\":\"x\"}\n"
        try lines.write(toFile: file, atomically: true, encoding: .utf8)
        let store = try Store(path: dir + "/almanac.sqlite3")
        let report = try await Importer(store: store, collection: .products, tenant: "imp", progress: false).run(path: file)
        #expect(report.accepted == 50)
        #expect(report.rejected.map(\.line) == [51])
        var configuration = AlmanacConfiguration()
        configuration.dataDirectory = dir
        #expect(try Maintenance.catchUp(configuration, store: store, logger: .init(label: "test")))
        #expect(try Maintenance.check(configuration, store: store).isEmpty)
        try store.close()
        try await TestApp.run(redis: .none, directory: dir) { app in
            let token = try await app.token(tenant: "imp")
            #expect(await app.search("limit=1", token: token).at("total.value") == 50)
        }
    }
}

@Suite struct CatalogueBadInputTests {
    @Test(arguments: [
        ("filter=price+%3E", "position"),
        ("filter=colour+%3D+%22red%22", "unknown field"),
        ("filter=price+%3D+%22abc%22", "price"),
        ("filter=tags+IN+%5B%5D", "IN"),
        ("filter=%28brand+%3D+%22a%22", "position"),
        ("limit=-1", "limit"),
        ("limit=101", "limit"),
        ("offset=-1", "offset"),
        ("offset=9990&limit=20", "10000"),
        ("sort=colour", "sort"),
        ("sort=price:up", "direction"),
        ("cursor=garbage!", "cursor"),
        ("cursor=eyJmIjoieCIsIm8iOjB9", "different query"),
        ("facets=colour", "facet"),
        ("price_ranges=10:5", "price_ranges"),
        ("highlight=maybe", "highlight"),
        ("limt=5", "unknown parameter"),
        ("q=%FF%FE", "UTF-8"),
        ("q=%G1", "percent"),
    ])
    func eachBadInputIsA400Naming(query: String, needle: String) async throws {
        try await TestApp.run(redis: .none) { app in
            let token = try await app.token(tenant: TestApp.tenant())
            let reply = try await app.get("/v1/products/search?" + query, token: token)
            #expect(reply.isProblem(400, mentioning: needle), "\(query): \(reply.status) \(reply.text)")
        }
    }

    @Test func overLongQueryAndFilter() async throws {
        try await TestApp.run(redis: .none) { app in
            let token = try await app.token(tenant: TestApp.tenant())
            let q = String(repeating: "a", count: 1100)
            #expect(try await app.get("/v1/products/search?q=\(q)", token: token).isProblem(400, mentioning: "1024"))
            let f = String(repeating: "a", count: 4200)
            #expect(try await app.get("/v1/products/search?filter=\(f)", token: token).isProblem(400, mentioning: "4096"))
            let post = try await app.request(.post, "/v1/products/search", token: token, json: #"{"limit":"x"}"#)
            #expect(post.isProblem(400, mentioning: "limit"))
            let wrongType = try await app.request(.post, "/v1/products/search", token: token, json: #"{"q":5}"#)
            #expect(wrongType.isProblem(400, mentioning: "string"))
            let body = try await app.request(.post, "/v1/products/search", token: token, json: #"{"q":"kettle","facets":["brand"],"limit":5}"#)
            #expect(body.status == 200)
        }
    }
}
