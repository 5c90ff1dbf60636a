import AlmanacIndex
import Foundation
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
