import AlmanacCore
import AlmanacIndex
import AlmanacStore
import Logging
import AlmanacTestSupport
@testable import AlmanacApp
import Foundation
import HTTPTypes
import Testing

/// The product index as 1 shard and as 3 answers every search the same, byte for byte:
/// scores, order, facets, totals, cursors, highlighting, corrections, completions, with and
/// without the tenant's tie-break. The same products go into two services (one per S), the
/// same deterministic queries to both, and every page of each answer (following
/// `next_cursor`) is compared once `took_ms`, `cache` and the server-set `updated_at` are
/// taken out.
///
/// `ALMANAC_SHARD_CORPUS=/path/products.ndjson` runs the same comparison on that file with
/// more queries: on the 63,666-product corpus, 1,735 requests (17,550 hits), 0 differ, in
/// 17 minutes of a debug build (2026-12-02), which is why the suite runs the fixture.
@Suite struct ShardIdentityTests {
    @Test func threeShardsAnswerLikeOne() async throws {
        let report = try await ShardComparison.run(
            ndjson: try Fixtures.text("products_2k.ndjson"), queries: 240, seed: 14)
        #expect(report.mismatches.isEmpty, "\(report.summary)\n\(report.mismatches.prefix(3).joined(separator: "\n"))")
        #expect(report.requests > 400)
    }

    @Test(.enabled(if: ProcessInfo.processInfo.environment["ALMANAC_SHARD_CORPUS"] != nil))
    func threeShardsAnswerLikeOneOnTheCorpus() async throws {
        let path = ProcessInfo.processInfo.environment["ALMANAC_SHARD_CORPUS"]!
        let queries = Int(ProcessInfo.processInfo.environment["ALMANAC_SHARD_QUERIES"] ?? "") ?? 400
        let report = try await ShardComparison.run(
            ndjson: try String(contentsOfFile: path, encoding: .utf8), queries: queries, seed: 63_666)
        print("shard identity on \(path): \(report.summary)")
        #expect(report.mismatches.isEmpty, "\(report.summary)\n\(report.mismatches.prefix(3).joined(separator: "\n"))")
    }
}

/// `almanac reindex products` changes S; the server refuses another S than the index's
/// with the command that changes it; offline catch-up and `check` work on the shards.
@Suite struct ShardCountTests {
    @Test func reindexChangesTheShardCountAndAnotherOneIsRefused() async throws {
        let directory = TestApp.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var configuration = AlmanacConfiguration()
        configuration.dataDirectory = directory
        configuration.index.productShards = 2
        let store = try Store(path: configuration.storePath)
        let products = directory + "/products.ndjson"
        try Fixtures.lines("products_2k.ndjson", count: 200).write(toFile: products, atomically: true, encoding: .utf8)
        _ = try await Importer(store: store, collection: .products, tenant: "s", progress: false).run(path: products)
        #expect(try Maintenance.catchUpProducts(configuration, store: store))
        #expect(try ProductIndexShards.recordedCount(configuration.productIndexPath) == 2)
        #expect(try Maintenance.check(configuration, store: store).filter { $0.hasPrefix("product") }.isEmpty)

        configuration.index.productShards = 3
        #expect(throws: AlmanacError.self) { try Maintenance.catchUpProducts(configuration, store: store) }
        #expect(try Maintenance.reindexProducts(configuration, store: store, logger: Logger(label: "test")) == 200)
        #expect(try ProductIndexShards.recordedCount(configuration.productIndexPath) == 3)
        #expect(try Maintenance.check(configuration, store: store).filter { $0.hasPrefix("product") }.isEmpty)
        try store.close()

        // The server opens it as it is, and refuses another count with the fix.
        try await TestApp.run(redis: .none, directory: directory, keep: true) { app in
            #expect(app.services.catalogue.searcher.readers.paths.count == 3)
            let token = try await app.token(tenant: "s")
            let reply = try await app.get("/v1/products/search?q=library&limit=0", token: token)
            #expect((reply.at("total.value")?.integerValue ?? 0) > 10, "\(reply.text)")
        }
        do {
            try await TestApp.run(redis: .none, directory: directory, keep: true, configure: { $0.index.productShards = 2 }) { _ in
                Issue.record("a 3-shard index opened with 2")
            }
        } catch let error as AlmanacError {
            #expect(error.detail.contains("almanac reindex products --product-shards 2"), "\(error)")
        }
    }
}

enum ShardComparison {
    struct Report: Sendable {
        var requests = 0
        var hits = 0
        var mismatches: [String] = []
        var summary: String { "\(requests) requests (\(hits) hits) compared, \(mismatches.count) differ" }
    }

    static let tenant = "shards"

    /// Loads `ndjson` (each product given a numeric `attributes.popularity` for the
    /// tie-break) into a 1-shard and a 3-shard service and compares `queries` searches.
    static func run(ndjson: String, queries count: Int, seed: UInt64) async throws -> Report {
        let lines = ndjson.split(separator: "\n").map(String.init)
        let products = lines.compactMap { line -> (id: String, title: String, brand: String)? in
            guard case .object(let o)? = try? JSONParser.parse(Array(line.utf8)), let id = o["id"]?.stringValue else {
                return nil
            }
            return (id, o["title"]?.stringValue ?? "", o["brand"]?.stringValue ?? "")
        }
        let file = TestApp.temporaryDirectory() + "/products.ndjson"
        defer { try? FileManager.default.removeItem(atPath: file) }
        try withPopularity(lines).write(toFile: file, atomically: true, encoding: .utf8)
        let queries = ShardQueries.make(products: products, count: count, seed: seed)

        let result = ReportBox()
        try await TestApp.run(redis: .none, configure: { $0.index.productShards = 1 }) { one in
            try await TestApp.run(redis: .none, configure: { $0.index.productShards = 3 }) { three in
                #expect(three.services.catalogue.indexer.name == "product")
                var tokens: [String] = []
                for app in [one, three] {
                    _ = try await Importer(store: app.services.store, collection: .products, tenant: tenant, progress: false)
                        .run(path: file)
                    try await app.services.catalogue.catchUp()
                    tokens.append(try await app.token(tenant: tenant))
                }
                #expect(one.services.catalogue.searcher.readers.paths.count == 1)
                #expect(three.services.catalogue.searcher.readers.paths.count == 3)
                var report = Report()
                for (pass, tieBreak) in [(0, false), (1, true)] {
                    if tieBreak {
                        for (app, token) in zip([one, three], tokens) {
                            let put = try await app.request(
                                .put, "/v1/settings", token: token,
                                json: #"{"ranking":{"tie_break":"attributes.popularity:desc"}}"#)
                            #expect(put.status == 200, "\(put.text)")
                        }
                    }
                    for query in queries where pass == 0 || query.relevance {
                        try await compare(query.uri, one: one, three: three, tokens: tokens, pages: query.pages, into: &report)
                    }
                }
                result.report = report
            }
        }
        return result.report
    }

    final class ReportBox: @unchecked Sendable {
        // `@unchecked Sendable`: written once inside the test body, read after it returns.
        var report = Report()
    }

    /// Compares one search and the pages after it.
    static func compare(
        _ uri: String, one: TestApp, three: TestApp, tokens: [String], pages: Int, into report: inout Report
    ) async throws {
        var next: String? = uri
        var page = 0
        while let current = next, page < pages {
            let a = try await one.get(current, token: tokens[0])
            let b = try await three.get(current, token: tokens[1])
            report.requests += 1
            report.hits += a.hitIDs.count
            let (x, y) = (normalized(a.text), normalized(b.text))
            if a.status != 200 || x != y {
                let at = zip(x, y).prefix { $0 == $1 }.count
                func around(_ s: String) -> String { String(s.dropFirst(max(0, at - 150)).prefix(400)) }
                report.mismatches.append("\(current) [\(a.status)/\(b.status)] at \(at)\n  S=1: …\(around(x))\n  S=3: …\(around(y))")
                return
            }
            guard let cursor = a.at("page.next_cursor")?.stringValue else { return }
            // A cursor replaces the offset (the API refuses both).
            let base = uri.split(separator: "&").filter { !$0.hasPrefix("offset=") }.joined(separator: "&")
            next = base + "&cursor=" + ShardQueries.encoded(cursor)
            page += 1
        }
    }

    /// The answer without what differs between two services by design.
    static func normalized(_ body: String) -> String {
        var s = body
        if let r = s.range(of: #","took_ms":"#, options: .backwards) { s = String(s[..<r.lowerBound]) }
        return s.replacingOccurrences(of: #""updated_at":"[^"]*""#, with: #""updated_at":"""#, options: .regularExpression)
    }

    /// Each line with `attributes.popularity` from its id's hash: few distinct values, so
    /// runs of near-equal scores hold several.
    static func withPopularity(_ lines: [String]) -> String {
        var out = ""
        for line in lines {
            guard case .object(var o)? = try? JSONParser.parse(Array(line.utf8)), let id = o["id"]?.stringValue else { continue }
            var attributes = o["attributes"]?.objectValue ?? JSONObject()
            attributes["popularity"] = .int(Int64(FNV1a64.hash(id) % 7))
            o["attributes"] = .object(attributes)
            out += JSONWriter.string(.object(o)) + "\n"
        }
        return out
    }
}

/// Deterministic searches over a corpus: words, pairs and phrases from titles, ids, one-edit
/// typos, prefixes, boolean and field syntax; with filters (disjunctive facets too),
/// facets, price ranges, every sort mode, offsets, cursors, highlighting, `limit=0` and
/// `exact_total`.
enum ShardQueries {
    struct Query: Sendable {
        var uri: String
        /// Ranked by relevance first (the tie-break applies).
        var relevance: Bool
        var pages: Int
    }

    static func encoded(_ s: String) -> String {
        s.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-_.~"))) ?? s
    }

    static func words(_ text: String) -> [String] {
        text.lowercased().split(whereSeparator: { !$0.isLetter && !$0.isNumber }).map(String.init).filter { $0.count >= 3 }
    }

    static func make(products: [(id: String, title: String, brand: String)], count: Int, seed: UInt64) -> [Query] {
        var rng = SeededGenerator(seed: seed)
        let sorted = products.sorted { $0.id < $1.id }
        let common = ["library", "python", "data", "tools", "development", "files", "module", "server", "perl", "documentation"]
        func pick<T>(_ a: [T]) -> T { a[Int(rng.next() % UInt64(a.count))] }
        func typo(_ w: String) -> String {
            var c = Array(w)
            let i = Int(rng.next() % UInt64(c.count - 1))
            switch rng.next() % 3 {
            case 0: c.swapAt(i, i + 1)
            case 1: c.remove(at: i)
            default: c[i] = c[i] == "e" ? "a" : "e"
            }
            return String(c)
        }
        var out: [Query] = []
        var kind = 0
        while out.count < count {
            defer { kind += 1 }
            let p = pick(sorted)
            let w = words(p.title)
            guard !w.isEmpty else { continue }
            let w1 = pick(w), w2 = w.count > 1 ? w[(w.firstIndex(of: w1)! + 1) % w.count] : pick(common)
            let limit = [5, 10, 20][kind % 3]
            var q: String?
            var params: [String] = []
            var relevance = true
            var pages = 3
            switch kind % 20 {
            case 0: q = w1
            case 1: q = w1 + " " + w2
            case 2: q = w.prefix(3).joined(separator: " ")
            case 3: q = p.id
            case 4: q = (w.first { $0.count >= 6 }).map(typo) ?? w1
            case 5: q = String(w1.prefix(3 + kind % 3))
            case 6: q = w1; params += ["filter=" + encoded("in_stock = true"), "facets=brand,category"]
            case 7: q = w1; params += ["sort=price:desc"]; relevance = false
            case 8: q = pick(common); params += ["sort=" + encoded("_score,price")]
            case 9: q = w1; params += ["sort=" + encoded("created_at,_score")]; relevance = false
            case 10:
                params += ["filter=" + encoded("brand = \"\(p.brand)\""), "facets=tags,attributes.arch", "sort=title"]
                relevance = false
            case 11: q = w1 + " " + w2; params += ["highlight=true"]
            case 12: q = "\"" + w1 + " " + w2 + "\""
            case 13: q = w1 + " OR " + pick(common); params += ["price_ranges=" + encoded("0:1000,1000:5000,5000:")]
            case 14: q = pick(common) + " -" + w1
            case 15: q = "title:" + w1
            case 16: q = pick(common); params += ["exact_total=true", "facets=brand"]
            case 17: q = pick(common); params += ["limit=0", "facets=category,in_stock"]; pages = 1
            case 18:
                q = w1
                params += ["filter=" + encoded("brand = \"\(p.brand)\" AND price < 5000"), "facets=brand,attributes.priority"]
            default: q = pick(common); params += ["offset=\(20 + kind % 40)"]; pages = 2
            }
            if !params.contains(where: { $0.hasPrefix("limit=") }) { params.append("limit=\(limit)") }
            if let q { params.insert("q=" + encoded(q), at: 0) } else { relevance = false }
            out.append(Query(uri: "/v1/products/search?" + params.joined(separator: "&"), relevance: relevance, pages: pages))
        }
        return out
    }
}
