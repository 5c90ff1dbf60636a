import AlmanacCore
import AlmanacIndex
import AlmanacTestSupport
import Foundation
import Testing

/// Scores that do not depend on how an index is split into databases searched as one
/// (`add_database`): the same documents in one database and in three give every match the
/// same weight, to the bit, and the same order (docs/relevance.md, rule 7).
///
/// Also records what Xapian 1.4 itself does, which is why the shim and the query builder
/// do what they do: it adds a query's parts in an order shaped per database, and estimates
/// a flat synonym's frequency over a tree shaped per database.
@Suite struct ShardStableScoreTests {
    /// 3,000 documents over 60 words of skewed frequencies (word k in about 1 of k+1
    /// documents), each with a few repeats, so term frequencies and wdf vary.
    static func corpus() -> [Product] {
        var rng = SeededGenerator(seed: 2026_12_02)
        return (0..<3000).map { i in
            var words: [String] = []
            for k in 0..<60 where rng.next() % UInt64(k + 1) == 0 {
                words += Array(repeating: "w\(k)", count: 1 + Int(rng.next() % 3))
            }
            words += (0..<Int(rng.next() % 20)).map { _ in "filler\(rng.next() % 500)" }
            return Product(id: "d\(i)", text: words.joined(separator: " "))
        }
    }

    /// The corpus in one database and in three (split by id hash), each opened as one.
    static func withLayouts(_ body: (XapianDatabase, XapianDatabase) throws -> Void) throws {
        try withTemporaryDirectory { dir in
            let products = corpus()
            let one = try XapianWritableDatabase(path: dir + "/one")
            try index(products, into: one)
            try one.close()
            var paths: [String] = []
            for shard in 0..<3 {
                let db = try XapianWritableDatabase(path: dir + "/shard-\(shard)")
                try index(products.filter { FNV1a64.hash($0.id) % 3 == UInt64(shard) }, into: db)
                try db.close()
                paths.append(dir + "/shard-\(shard)")
            }
            let a = try XapianDatabase(path: dir + "/one")
            let b = try XapianDatabase(paths: paths)
            try body(a, b)
            try a.close()
            try b.close()
        }
    }

    /// Every match's weight by id, and the ids in relevance order (ties by id).
    static func ranked(_ db: XapianDatabase, _ query: XapianQuery) throws -> (weights: [String: Double], order: [String]) {
        var options = exactOptions(maxItems: 5000, sort: .relevanceThenKeys([.init(slot: Slot.id, reverse: false)]))
        options.weighting = .bm25Parameters(k1: 1.2, b: 0.75)
        let hits = try db.search(query, options).hits
        return (Dictionary(uniqueKeysWithValues: hits.map { ($0.id, $0.weight) }), hits.map(\.id))
    }

    static func terms(_ ks: some Sequence<Int>) throws -> [XapianQuery] { try ks.map { try XapianQuery.term("w\($0)") } }

    @Test func oneDatabaseAndThreeGiveTheSameScoresToTheBit() throws {
        try Self.withLayouts { one, three in
            let queries: [(String, XapianQuery)] = [
                ("OR of 40 words", try .or(try Self.terms(0..<40))),
                ("synonym of 30 words", try .synonym(try Self.terms(5..<35))),
                ("scaled synonyms beside words", try .or([
                    try .or(try Self.terms([0, 3, 9])),
                    try .scaleWeight(try .synonym(try Self.terms(10..<50)), 0.5),
                    try .scaleWeight(try .synonym(try Self.terms([2, 7, 11, 19, 23])), 0.1),
                ])),
                ("AND of ORs", try .and([try .or(try Self.terms(0..<6)), try .or(try Self.terms(6..<30))])),
            ]
            for (name, query) in queries {
                let (a, b) = (try Self.ranked(one, query), try Self.ranked(three, query))
                #expect(a.weights.count > 100, "\(name)")
                #expect(a.weights == b.weights, "\(name): \(a.weights.filter { b.weights[$0.key] != $0.value }.count) weights differ")
                #expect(a.order == b.order, "\(name)")
            }
        }
    }

    /// What Xapian 1.4 does with a flat `OP_SYNONYM` (the expansion of a wildcard is one):
    /// its frequency is estimated over an OR tree built per database, rounded at each node,
    /// so the same documents weigh differently in one database and in three. If this starts
    /// failing, Xapian estimates order-independently (1.5's `BoolOrPostList` does) and
    /// `XapianQuery.synonym` could stay flat.
    @Test func xapianWeighsAFlatSynonymByEachDatabasesTree() throws {
        try Self.withLayouts { one, three in
            let flat = try XapianQuery.wildcard(prefix: "w", maxExpansion: 0, limit: .error, combiner: .synonym)
            let (a, b) = (try Self.ranked(one, flat), try Self.ranked(three, flat))
            #expect(a.weights.keys.sorted() == b.weights.keys.sorted())
            #expect(a.weights != b.weights)
            // The same 60 words as a nested synonym: the same matches, one weight per layout.
            let nested = try XapianQuery.synonym(try Self.terms(0..<60))
            let (c, d) = (try Self.ranked(one, nested), try Self.ranked(three, nested))
            #expect(c.weights.keys.sorted() == a.weights.keys.sorted())
            #expect(c.weights == d.weights)
        }
    }
}
