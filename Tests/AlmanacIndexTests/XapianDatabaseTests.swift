import AlmanacIndex
import Foundation
import Synchronization
import Testing

@Suite("Xapian databases")
struct XapianDatabaseTests {
    @Test func readerSeesCommitsOnlyAfterReopen() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/db"
            let writer = try XapianWritableDatabase(path: path)
            try index([Product(id: "1", text: "first")], into: writer)

            let reader = try XapianDatabase(path: path)
            #expect(try reader.documentCount == 1)

            try writer.add(try makeDocument(Product(id: "2", text: "second"), stemmer: XapianStemmer(language: "none")))
            #expect(try writer.documentCount == 2)
            #expect(try reader.documentCount == 1)  // not committed
            try writer.commit()
            #expect(try reader.documentCount == 1)  // committed, not reopened

            #expect(try reader.reopen() == true)
            #expect(try reader.documentCount == 2)
            #expect(try reader.reopen() == false)
            #expect(try reader.lastDocumentID == 2)
        }
    }

    /// A reader searching while a writer commits revision after revision: Xapian reuses the
    /// blocks of revisions older than the previous one, so a long-lived reader's view goes
    /// stale mid-search. That surfaces as `DatabaseModifiedError` and, in some posting-list
    /// paths, as `DatabaseCorruptError` ("Unexpected end of posting list", found by fuzzing
    /// the HTTP API). Either way `search` must reopen and answer, never throw.
    @Test func searchesSurviveAWriterCommittingUnderThem() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/db"
            let writer = try XapianWritableDatabase(path: path)
            let products = (0..<3000).map { Product(id: "p\($0)", text: "red kettle number \($0) steel", tags: ["all", "t\($0 % 7)"]) }
            try index(products, into: writer)
            let reader = try XapianDatabase(path: path)
            let query = try XapianQuery.filter(try .term("Zkettl"), try .term("XTall"))
            var searches = 0
            let writerFailure = try whileWriting(writer) { writer in
                for round in 0..<100 {
                    let batch = (0..<100).map { i in
                        Product(id: "p\((round * 97 + i * 31) % 3000)", text: "red kettle round \(round) steel", tags: ["all", "r\(round)"])
                    }
                    try index(batch, into: writer)
                }
            } read: {
                let result = try reader.search(query, exactOptions(maxItems: 50, spies: [.valueCount(slot: Slot.id)]))
                #expect(result.matchesLowerBound == 3000)
                searches += 1
            }
            #expect(writerFailure == nil)
            #expect(searches > 0)
        }
    }

    /// Xapian 1.4.22 throws "Unexpected end of posting list" for an unweighted lone term
    /// with exact counts once documents were deleted from its posting list (the shim works
    /// around it: `cxapian_search` filters MatchAll by the query under BoolWeight).
    @Test func exactCountsOfALoneTermAfterDeletions() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/db"
            let writer = try XapianWritableDatabase(path: path)
            try index((0..<2000).map { Product(id: "p\($0)", text: "item", tags: ["tenant"]) }, into: writer)
            for i in stride(from: 0, to: 2000, by: 3) { try writer.delete(uniqueTerm: "Qp\(i)") }
            try writer.commit()
            let reader = try XapianDatabase(path: path)
            for query in [try XapianQuery.term("XTtenant"), try XapianQuery.filter(try .term("item"), try .term("XTtenant"))] {
                let result = try reader.search(query, exactOptions(maxItems: 10, weighting: .bool, spies: [.valueCount(slot: Slot.id)]))
                #expect(result.matchesLowerBound == 1333)
                #expect(result.hits.count == 10)
            }
        }
    }

    /// Searches on separate handles run on several threads at once. Nothing Xapian
    /// reference-counts may be shared between them (its counts are not atomic): copying the
    /// static `Query::MatchAll` from every search crashed the suite once.
    @Test func concurrentSearchesOnSeparateHandles() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/db"
            let writer = try XapianWritableDatabase(path: path)
            try index((0..<300).map { Product(id: "p\($0)", text: "kettle \($0)", tags: ["tenant"]) }, into: writer)
            // One handle per thread; each is used by its own iteration only.
            nonisolated(unsafe) let readers = try (0..<4).map { _ in try XapianDatabase(path: path) }
            let failures = Mutex(0)
            DispatchQueue.concurrentPerform(iterations: readers.count) { i in
                for round in 0..<400 {
                    do {
                        let query = round % 2 == 0 ? try XapianQuery.term("XTtenant") : try XapianQuery.andNot(.matchAll(), try .term("Qp1"))
                        let result = try readers[i].search(query, exactOptions(maxItems: 5, weighting: .bool))
                        if result.matchesLowerBound < 299 { failures.withLock { $0 += 1 } }
                    } catch {
                        failures.withLock { $0 += 1 }
                    }
                }
            }
            #expect(failures.withLock { $0 } == 0)
        }
    }

    /// The product search's shape under the HTTP API's write pattern: a boolean tenant
    /// term over every document, exact counts and a value spy, while a writer commits one
    /// replace, delete or add at a time.
    @Test func matchAllSearchesSurviveSingleWriteCommits() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/db"
            let writer = try XapianWritableDatabase(path: path)
            try index((0..<2000).map { Product(id: "p\($0)", text: "item \($0) kettle", tags: ["tenant"]) }, into: writer)
            let reader = try XapianDatabase(path: path)
            let query = try XapianQuery.term("XTtenant")
            var searches = 0
            var failures: [String] = []
            let writerFailure = try whileWriting(writer) { writer in
                let stemmer = try XapianStemmer(language: "english")
                var next = 2000
                // A commit every couple of milliseconds: far more often than the indexer
                // commits, and yet a search must get through between two of them.
                for round in 0..<300 {
                    usleep(2_000)
                    switch round % 3 {
                    case 0:
                        let p = Product(id: "p\((round * 37) % next)", text: "changed \(round)", tags: ["tenant", "r\(round % 5)"])
                        _ = try writer.replace(uniqueTerm: "Q" + p.id, with: try makeDocument(p, stemmer: stemmer))
                    case 1:
                        try writer.delete(uniqueTerm: "Qp\((round * 53) % next)")
                    default:
                        _ = try writer.add(try makeDocument(Product(id: "p\(next)", text: "new", tags: ["tenant"]), stemmer: stemmer))
                        next += 1
                    }
                    try writer.commit()
                }
            } read: {
                do {
                    _ = try reader.search(query, exactOptions(maxItems: 20, weighting: .bool, spies: [.valueCount(slot: Slot.id)]))
                    searches += 1
                } catch {
                    failures.append("\(error)")
                }
            }
            let fresh = try XapianDatabase(path: path)
            #expect(throws: Never.self) { _ = try fresh.search(query, exactOptions(maxItems: 20, weighting: .bool, spies: [.valueCount(slot: Slot.id)])) }
            #expect(throws: Never.self) { _ = try fresh.search(query, exactOptions(maxItems: 20, weighting: .bool)) }
            #expect(writerFailure == nil)
            #expect(failures.isEmpty, "\(failures.count) of \(searches + failures.count) searches failed; first: \(failures.first ?? "")")
        }
    }

    @Test func metadataRoundTrip() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/db"
            let writer = try XapianWritableDatabase(path: path)
            let value: [UInt8] = [0, 1, 2, 255, 0, 42]
            try writer.setMetadata("last_seq", value)
            #expect(try writer.metadata("last_seq") == value)
            #expect(try writer.metadata("missing") == [])
            try writer.commit()

            let reader = try XapianDatabase(path: path)
            #expect(try reader.metadata("last_seq") == value)

            try writer.setMetadata("last_seq", [])  // deletes
            try writer.commit()
            try reader.reopen()
            #expect(try reader.metadata("last_seq") == [])
        }
    }

    @Test func secondWriterIsLocked() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/db"
            let writer = try XapianWritableDatabase(path: path)
            expectXapianError(.databaseLocked) { _ = try XapianWritableDatabase(path: path) }
            try writer.close()
            // The lock is released on close.
            let second = try XapianWritableDatabase(path: path)
            try second.close()
        }
    }

    @Test func replaceByUniqueTermKeepsOneDocument() throws {
        try withTemporaryDirectory { dir in
            let writer = try XapianWritableDatabase(path: dir + "/db")
            try index([Product(id: "p1", text: "old kettle")], into: writer)
            let first = try writer.lastDocumentID
            try index([Product(id: "p1", text: "new teapot")], into: writer)
            #expect(try writer.documentCount == 1)
            #expect(try writer.termFrequency("Qp1") == 1)
            #expect(try writer.termFrequency("kettle") == 0)
            #expect(try writer.termFrequency("teapot") == 1)

            let reader = try XapianDatabase(path: dir + "/db")
            #expect(try reader.documentData(first) == Array("p1".utf8))  // same docid reused
        }
    }

    @Test func deleteByUniqueTerm() throws {
        try withTemporaryDirectory { dir in
            let writer = try XapianWritableDatabase(path: dir + "/db")
            try index([Product(id: "a", text: "one"), Product(id: "b", text: "two")], into: writer)
            try writer.delete(uniqueTerm: "Qa")
            try writer.delete(uniqueTerm: "Qnope")  // no error
            try writer.commit()
            #expect(try writer.documentCount == 1)
            #expect(try writer.termFrequency("Qa") == 0)
            let reader = try XapianDatabase(path: dir + "/db")
            expectXapianError(.documentNotFound) { _ = try reader.documentData(1) }
            #expect(try reader.documentData(2) == Array("b".utf8))
            #expect(try reader.documentValue(2, slot: Slot.id) == Array("b".utf8))
        }
    }

    @Test func overwriteStartsEmpty() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/db"
            do {
                let writer = try XapianWritableDatabase(path: path)
                try index([Product(id: "a", text: "one")], into: writer)
                try writer.close()
            }
            let writer = try XapianWritableDatabase(path: path, overwrite: true, durable: false)
            #expect(try writer.documentCount == 0)
        }
    }

    @Test func termIterationWithPrefix() throws {
        try withTemporaryDirectory { dir in
            let writer = try XapianWritableDatabase(path: dir + "/db")
            try index(
                [
                    Product(id: "1", text: "kettle kettles", category: "kitchen"),
                    Product(id: "2", text: "kettle", category: "garden"),
                    Product(id: "3", text: "stove", category: "kitchen"),
                ], into: writer)
            var categories: [String: Int] = [:]
            try writer.forEachTerm(prefix: "XC") { categories[$0] = $1 }
            #expect(categories == ["XCgarden": 1, "XCkitchen": 2])

            let reader = try XapianDatabase(path: dir + "/db")
            var stems: [String] = []
            try reader.forEachTerm(prefix: "Z") { term, _ in stems.append(term) }
            #expect(stems == ["Zkettl", "Zstove"])

            // A thrown error stops the iteration and comes back out.
            struct Stop: Error {}
            var seen = 0
            #expect(throws: Stop.self) {
                try reader.forEachTerm { _, _ in
                    seen += 1
                    throw Stop()
                }
            }
            #expect(seen == 1)
        }
    }

    @Test func badPathsThrow() throws {
        expectXapianError(.databaseOpening) { _ = try XapianDatabase(path: "/nonexistent/almanac/db") }
        expectXapianError(.databaseOpening) {
            _ = try XapianDatabase(paths: ["/nonexistent/almanac/a", "/nonexistent/almanac/b"])
        }
        expectXapianError(.databaseCreate) { _ = try XapianWritableDatabase(path: "/nonexistent/almanac/db") }
        do {
            _ = try XapianDatabase(path: "/nonexistent/almanac/db")
        } catch let error as XapianError {
            #expect(error.type == "DatabaseNotFoundError")
            #expect(error.context == "open /nonexistent/almanac/db")
            #expect(!error.message.isEmpty)
        }
    }

    @Test func closedHandlesThrow() throws {
        try withTemporaryDirectory { dir in
            let writer = try XapianWritableDatabase(path: dir + "/db")
            try index([Product(id: "1", text: "x")], into: writer)
            let reader = try XapianDatabase(path: dir + "/db")
            try reader.close()
            // (Some calls, like documentCount, still answer from cached state after close.)
            expectXapianError(.databaseClosed) { _ = try reader.documentData(1) }
            expectXapianError(.databaseClosed) { _ = try reader.search(.matchAll(), exactOptions()) }
            try writer.close()
            expectXapianError(.databaseClosed) { try writer.add(XapianDocument()) }
        }
    }

    @Test func severalDatabasesSearchAsOne() throws {
        try withTemporaryDirectory { dir in
            let a = try XapianWritableDatabase(path: dir + "/a")
            let b = try XapianWritableDatabase(path: dir + "/b")
            try index([Product(id: "a1", text: "kettle"), Product(id: "a2", text: "stove")], into: a)
            try index([Product(id: "b1", text: "kettle"), Product(id: "b2", text: "kettle pot")], into: b)

            let both = try XapianDatabase(paths: [dir + "/a", dir + "/b"])
            #expect(try both.documentCount == 4)
            #expect(try both.termFrequency("kettle") == 3)
            let result = try both.search(try .term("kettle"), exactOptions())
            #expect(Set(result.hits.map(\.id)) == ["a1", "b1", "b2"])
            #expect(result.matchesEstimated == 3)
            // Docids interleave: shard docid d of shard i is (d - 1) * 2 + i + 1.
            #expect(try both.documentData(1) == Array("a1".utf8))
            #expect(try both.documentData(2) == Array("b1".utf8))
            #expect(try both.documentData(4) == Array("b2".utf8))

            let empty = try XapianDatabase(paths: [])
            #expect(try empty.documentCount == 0)
            #expect(try empty.search(try .term("kettle"), exactOptions()).hits.isEmpty)
        }
    }
}
