import AlmanacCore
import AlmanacIndex
import Foundation
import Testing

/// The product index as S shards: products spread by FNV-1a(tenant, id) mod S, each shard
/// commits its own `last_seq`, the index resumes from the smallest, the S in use is
/// recorded and another one refused with the fix.
@Suite struct ProductIndexShardsTests {
    static func change(_ id: String, _ title: String? = nil) -> ProductIndexChange {
        ProductIndexChange(
            tenant: "t", id: id,
            json: title.map {
                #"{"id":"\#(id)","title":"\#($0)","version":1,"created_at":"2024-01-01T00:00:00Z","updated_at":"2024-01-01T00:00:00Z"}"#
            })
    }

    static func open(_ dir: String, _ shards: Int?, vocabulary: TypoVocabulary = TypoVocabulary()) throws -> ProductIndexShards {
        try ProductIndexShards(
            directory: dir + "/products", shards: shards, slots: SlotRegistry(path: dir + "/slots.json"), vocabulary: vocabulary)
    }

    @Test func productsSpreadOverShardsAndSearchAsOne() throws {
        try withTemporaryDirectory { dir in
            let index = try Self.open(dir, 3)
            let changes = (0..<60).map { Self.change("p\($0)", "kettle number \($0)") }
            let touched = try index.apply(changes, watermark: 60, settings: { _ in .default })
            #expect(touched == ["t"])
            #expect(index.lastSeq == 60)
            let counts = try index.paths.map { try XapianDatabase(path: $0).documentCount }
            #expect(counts.reduce(0, +) == 60)
            #expect(counts.allSatisfy { $0 > 0 }, "\(counts)")
            for (i, path) in index.paths.enumerated() {
                let db = try XapianDatabase(path: path)
                for c in changes where ProductIndexShards.shard(tenant: c.tenant, id: c.id, of: 3) == i {
                    #expect(try db.termFrequency(Terms.unique(tenant: c.tenant, id: c.id)) == 1)
                }
                #expect(String(decoding: try db.metadata(ProductIndexShards.shardsKey), as: UTF8.self) == "3")
            }
            // The typo vocabulary sees the union, frequencies summed over the shards.
            let entries = Dictionary(uniqueKeysWithValues: try index.vocabularyEntries())
            #expect(entries["kettle"] == 60)
            // Completions over the shards: the union's frequencies, as one database has them.
            let letters = Array("abcdefghij")
            try index.apply(
                (0..<90).map { Self.change("q\($0)", "kett\(letters[$0 % 10])\(letters[$0 % 7]) lid") }, watermark: 61,
                settings: { _ in .default })
            var expected: [String: Int] = [:]
            for i in 0..<90 { expected["kett\(letters[i % 10])\(letters[i % 7])", default: 0] += 1 }
            let union = try XapianDatabase(paths: index.paths)
            var seen: [String: Int] = [:]
            try union.forEachTerm(prefix: "kett") { term, n in if term != "kettl" && term != "kettle" { seen[term] = n } }
            #expect(seen == expected)
            try union.close()
            let combined = try XapianDatabase(paths: index.paths)
            #expect(try combined.documentCount == 150)
            #expect(try combined.mostFrequentTerms(prefix: "kett", limit: 5).first?.frequency == 60)
            try index.close()
        }
    }

    @Test func aShardWithoutChangesResumesFromTheSmallestLastSeq() throws {
        try withTemporaryDirectory { dir in
            let index = try Self.open(dir, 3)
            try index.apply((0..<30).map { Self.change("p\($0)", "first") }, watermark: 10, settings: { _ in .default })
            // A batch touching one shard: the others advance in memory only.
            let one = Self.change("p0", "second")
            try index.apply([one], watermark: 11, settings: { _ in .default })
            #expect(index.lastSeq == 11)
            let shard = ProductIndexShards.shard(tenant: "t", id: "p0", of: 3)
            let seqs = try index.paths.map {
                String(decoding: try XapianDatabase(path: $0).metadata(ProductIndexWriter.lastSeqKey), as: UTF8.self)
            }
            #expect(seqs.enumerated().allSatisfy { $0.element == ($0.offset == shard ? "11" : "10") }, "\(seqs)")
            // As after a crash: no close, so the skipped watermarks are not persisted.
            try FileManager.default.copyItem(atPath: dir + "/products", toPath: dir + "/crashed")
            let reopened = try ProductIndexShards(
                directory: dir + "/crashed", shards: nil, slots: SlotRegistry(path: nil), vocabulary: TypoVocabulary())
            #expect(reopened.count == 3)
            #expect(reopened.lastSeq == 10)
            // Applying the change again where it is already held replaces it: same documents.
            try reopened.apply([one], watermark: 11, settings: { _ in .default })
            #expect(reopened.documentCount == 30)
            try reopened.close()
            try index.close()
        }
    }

    @Test func anotherShardCountIsRefusedWithTheReindexCommand() throws {
        try withTemporaryDirectory { dir in
            let index = try Self.open(dir, 2)
            try index.apply([Self.change("gimp", "gimp editor")], watermark: 1, settings: { _ in .default })
            try index.commitSkipped()
            try index.close()
            do {
                _ = try Self.open(dir, 3)
                Issue.record("an index of 2 shards opened as 3")
            } catch let error as AlmanacError {
                #expect(error.detail.contains("almanac reindex products --product-shards 3"), "\(error)")
                #expect(error.detail.contains("has 2 shards"))
            }
            // Without a count asked for, the index's own.
            let again = try Self.open(dir, nil)
            #expect(again.count == 2)
            #expect(again.lastSeq == 1)
            try again.close()
            #expect(try ProductIndexShards.recordedCount(dir + "/products") == 2)

            // An empty index takes the count asked for.
            let empty = try Self.open(dir + "/e", 2)
            try empty.close()
            let four = try Self.open(dir + "/e", 4)
            #expect(four.count == 4)
            try four.close()
        }
    }

    @Test func anIndexFromBeforeShardsIsRefusedWithTheReindexCommand() throws {
        try withTemporaryDirectory { dir in
            let legacy = try ProductIndexWriter(path: dir + "/products", slots: SlotRegistry(path: nil), vocabulary: TypoVocabulary())
            try legacy.apply([Self.change("gimp", "gimp editor")], watermark: 1, settings: { _ in .default })
            try legacy.close()
            do {
                _ = try Self.open(dir, nil)
                Issue.record("a single-database index opened as shards")
            } catch let error as AlmanacError {
                #expect(error.detail.contains("almanac reindex products --product-shards"), "\(error)")
            }
        }
    }
}
