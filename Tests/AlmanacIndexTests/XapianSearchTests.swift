import AlmanacIndex
import Testing

@Suite("Xapian search")
struct XapianSearchTests {
    static let catalogue: [Product] = [
        Product(id: "p01", text: "red kettle with whistle", category: "kitchen", price: 25, tags: ["red", "metal"]),
        Product(id: "p02", text: "kettle red enamel", category: "kitchen", price: 40, tags: ["red", "red"]),
        Product(id: "p03", text: "electric kettles", category: "kitchen", price: 15, tags: ["electric"]),
        Product(id: "p04", text: "garden hose", category: "garden", price: 15, tags: ["green"]),
        Product(id: "p05", text: "garden kettle planter", category: "garden", price: 9.5, tags: ["metal", "green"]),
        Product(id: "p06", text: "stove top", category: "kitchen", price: 120),
        Product(id: "p07", text: "ketchup bottle", category: "pantry", price: 3),
        Product(id: "p08", text: "kettlebell 16kg", category: "sport", price: 15, tags: ["metal"]),
        Product(id: "p09", text: "no price here"),
        Product(id: "p10", text: "red stove", category: "kitchen", price: 250, tags: ["red"]),
    ]

    /// Runs `body` with a reader over the catalogue.
    func withCatalogue(_ body: (XapianDatabase, XapianWritableDatabase) throws -> Void) throws {
        try withTemporaryDirectory { dir in
            let writer = try XapianWritableDatabase(path: dir + "/db")
            try index(Self.catalogue, into: writer)
            try body(try XapianDatabase(path: dir + "/db"), writer)
        }
    }

    @Test func termSearchWithStemsAndMatchingTerms() throws {
        try withCatalogue { db, _ in
            var options = exactOptions()
            options.matchingTerms = true
            options.valueSlots = [Slot.price, Slot.category]
            let result = try db.search(try .or([.term("Zkettl"), .term("red")]), options)
            #expect(Set(result.hits.map(\.id)) == ["p01", "p02", "p03", "p05", "p10"])
            #expect(result.matchesEstimated == 5)
            #expect(result.matchesLowerBound == 5 && result.matchesUpperBound == 5)
            #expect(result.hits.map(\.rank) == Array(0..<5))
            #expect(result.hits.allSatisfy { $0.weight > 0 && $0.sortKey.isEmpty })
            let p01 = try #require(result.hits.first { $0.id == "p01" })
            #expect(Set(p01.matchingTerms) == ["Zkettl", "red"])
            #expect(p01.values == [Sortable.serialise(25), Array("kitchen".utf8)])
            let p10 = try #require(result.hits.first { $0.id == "p10" })
            #expect(p10.matchingTerms == ["red"])
        }
    }

    @Test func pagingAndCounts() throws {
        try withCatalogue { db, _ in
            let query = try XapianQuery.term("XCkitchen")
            var options = exactOptions(maxItems: 2, sort: .keys([.init(slot: Slot.id)]))
            options.first = 2
            let page = try db.search(query, options)
            #expect(page.hits.map(\.id) == ["p03", "p06"])
            #expect(page.hits.map(\.rank) == [2, 3])
            #expect(page.matchesEstimated == 5)
        }
    }

    @Test func phraseQuery() throws {
        try withCatalogue { db, _ in
            let phrase = try XapianQuery.phrase([.term("red"), .term("kettle")])
            #expect(try db.search(phrase, exactOptions()).hits.map(\.id) == ["p01"])
            let near = try XapianQuery.near([.term("red"), .term("kettle")], window: 2)
            #expect(Set(try db.search(near, exactOptions()).hits.map(\.id)) == ["p01", "p02"])
            #expect(phrase.description == "Query((red PHRASE 2 kettle))")
        }
    }

    @Test func booleanOperators() throws {
        try withCatalogue { db, _ in
            func ids(_ q: XapianQuery) throws -> Set<String> {
                Set(try db.search(q, exactOptions()).hits.map(\.id))
            }
            let kettle = try XapianQuery.term("Zkettl")
            let red = try XapianQuery.term("red")
            let kitchen = try XapianQuery.term("XCkitchen")
            #expect(try ids(.and([kettle, red])) == ["p01", "p02"])
            #expect(try ids(.andNot(kettle, red)) == ["p03", "p05"])
            #expect(try ids(.xor([kettle, red])) == ["p03", "p05", "p10"])
            #expect(try ids(.filter(kettle, kitchen)) == ["p01", "p02", "p03"])
            #expect(try ids(.andMaybe(kitchen, red)).count == 5)
            #expect(try ids(.synonym([kettle, red])).count == 5)
            #expect(try ids(.max([kettle, red])).count == 5)
            #expect(try ids(.eliteSet([kettle, red], size: 1)).count <= 5)
            #expect(try ids(.scaleWeight(kettle, 2)) == ["p01", "p02", "p03", "p05"])
            #expect(try ids(.matchAll()).count == 10)
            #expect(try ids(.matchNothing()).isEmpty)
            #expect(try ids(.and([])).isEmpty)
            expectXapianError(.invalidArgument) { _ = try XapianQuery.scaleWeight(kettle, -1) }

            // Filter terms do not change weights.
            let plain = try db.search(kettle, exactOptions()).hits
            let filtered = try db.search(try .filter(kettle, kitchen), exactOptions()).hits
            for hit in filtered {
                #expect(plain.first { $0.docid == hit.docid }?.weight == hit.weight)
            }
        }
    }

    @Test func wildcard() throws {
        try withCatalogue { db, _ in
            let ket = try XapianQuery.wildcard(prefix: "ket")
            // kettle, kettlebell, kettles, ketchup
            #expect(Set(try db.search(ket, exactOptions()).hits.map(\.id)) == ["p01", "p02", "p03", "p05", "p07", "p08"])

            let limited = try XapianQuery.wildcard(prefix: "ket", maxExpansion: 1, limit: .mostFrequent)
            #expect(Set(try db.search(limited, exactOptions()).hits.map(\.id)) == ["p01", "p02", "p05"])

            let strict = try XapianQuery.wildcard(prefix: "ket", maxExpansion: 2, limit: .error)
            expectXapianError(.wildcardExpansion) { _ = try db.search(strict, exactOptions()) }
        }
    }

    @Test func valueRanges() throws {
        try withCatalogue { db, _ in
            func ids(_ q: XapianQuery) throws -> Set<String> {
                Set(try db.search(q, exactOptions(weighting: .bool)).hits.map(\.id))
            }
            let range = try XapianQuery.valueRange(
                slot: Slot.price, from: Sortable.serialise(10), to: Sortable.serialise(25))
            #expect(try ids(range) == ["p01", "p03", "p04", "p08"])
            #expect(try ids(.valueGE(slot: Slot.price, Sortable.serialise(120))) == ["p06", "p10"])
            #expect(try ids(.valueLE(slot: Slot.price, Sortable.serialise(9.5))) == ["p05", "p07"])
            // Negative numbers sort before positive ones.
            #expect(try ids(.valueLE(slot: Slot.price, Sortable.serialise(-1))).isEmpty)
        }
    }

    @Test func boolWeightingGivesZeroWeights() throws {
        try withCatalogue { db, _ in
            let result = try db.search(try .term("Zkettl"), exactOptions(weighting: .bool))
            #expect(result.hits.count == 4)
            #expect(result.hits.allSatisfy { $0.weight == 0 })
            // Full ties come in docid order.
            #expect(result.hits.map(\.docid) == result.hits.map(\.docid).sorted())
        }
    }

    @Test func multiKeySortWithReverseAndDocidTies() throws {
        try withCatalogue { db, _ in
            let keys: [XapianSearchOptions.SortKey] = [
                .init(slot: Slot.category), .init(slot: Slot.price, reverse: true),
            ]
            let result = try db.search(.matchAll(), exactOptions(sort: .keys(keys)))
            // A missing category sorts first; prices descend within a category.
            #expect(
                result.hits.map(\.id) == [
                    "p09", "p04", "p05", "p10", "p06", "p02", "p01", "p03", "p07", "p08",
                ])
            #expect(result.hits.allSatisfy { !$0.sortKey.isEmpty })

            // Equal keys: ascending docid.
            let tie = try db.search(
                .matchAll(), exactOptions(sort: .keys([.init(slot: Slot.price, reverse: true)])))
            let fifteen = tie.hits.filter { ["p03", "p04", "p08"].contains($0.id) }
            #expect(fifteen.map(\.id) == ["p03", "p04", "p08"])
            #expect(fifteen.map(\.docid) == fifteen.map(\.docid).sorted())
        }
    }

    @Test func relevanceThenKeysAndKeysThenRelevance() throws {
        try withCatalogue { db, _ in
            let keys: [XapianSearchOptions.SortKey] = [.init(slot: Slot.id, reverse: true)]
            let boolRel = try db.search(
                try .term("XTmetal"), exactOptions(weighting: .bool, sort: .relevanceThenKeys(keys)))
            #expect(boolRel.hits.map(\.id) == ["p08", "p05", "p01"])
            let keysRel = try db.search(
                try .term("Zkettl"), exactOptions(sort: .keysThenRelevance([.init(slot: Slot.category)])))
            #expect(keysRel.hits.first?.id == "p05")  // garden < kitchen
        }
    }

    @Test func sortingByKeysNeedsKeys() throws {
        try withCatalogue { db, _ in
            expectXapianError(.invalidArgument) {
                _ = try db.search(.matchAll(), exactOptions(sort: .keys([])))
            }
            var options = exactOptions()
            options.searchAfter = [1]
            expectXapianError(.invalidArgument) { _ = try db.search(.matchAll(), options) }
        }
    }

    @Test func searchAfterWalksEveryDocumentOnce() throws {
        try withCatalogue { db, writer in
            // Highest price first, then id: the id slot makes every key unique.
            let sort = XapianSearchOptions.Sort.keys([
                .init(slot: Slot.price, reverse: true), .init(slot: Slot.id),
            ])
            var options = exactOptions(maxItems: 3, sort: sort)
            options.spies = [.valueCount(slot: Slot.category)]

            var seen: [String] = []
            var pages = 0
            var added = false
            while true {
                let page = try db.search(.matchAll(), options)
                // Spies count every match, whatever the cursor.
                let categories = try #require(page.spyResults.first?.valueCounts)
                #expect(categories.reduce(0) { $0 + $1.count } == (added ? 11 : 9))
                #expect(page.matchesEstimated + page.skippedBySearchAfter == (added ? 12 : 10))
                if page.hits.isEmpty { break }
                seen += page.hits.map(\.id)
                options.searchAfter = page.hits.last!.sortKey
                pages += 1
                if pages == 2 {
                    // Between pages: one product sorting after the cursor (cheap), one before
                    // it (expensive). Only the first may appear.
                    try index(
                        [
                            Product(id: "n1", text: "new cheap", category: "new", price: 1),
                            Product(id: "n2", text: "new dear", category: "new", price: 1000),
                        ], into: writer)
                    #expect(try db.reopen())
                    added = true
                }
            }
            #expect(pages == 4)
            #expect(seen == ["p10", "p06", "p02", "p01", "p03", "p04", "p08", "p05", "p07", "n1", "p09"])
            #expect(Set(seen).count == seen.count)
        }
    }

    @Test func searchReopensWhenItsRevisionIsDiscarded() throws {
        try withTemporaryDirectory { dir in
            let writer = try XapianWritableDatabase(path: dir + "/db")
            let count = 3000
            func writeGeneration(_ generation: Int) throws {
                for i in 1...count {
                    let doc = XapianDocument()
                    var batch = XapianTermBatch()
                    batch.addTerm("kettle")
                    batch.addBooleanTerm("\(generation)", prefix: "XG")
                    try doc.add(batch)
                    doc.setData(Array(repeating: UInt8(generation), count: 100))
                    try writer.replace(uniqueTerm: "Q\(i)", with: doc)
                }
                try writer.commit()
            }
            try writeGeneration(0)
            let reader = try XapianDatabase(path: dir + "/db")
            // Two more commits: Xapian reuses the blocks of the reader's revision, so reading
            // it fails with DatabaseModifiedError; search reopens and runs again.
            try writeGeneration(1)
            try writeGeneration(2)
            let result = try reader.search(try .term("XG2"), exactOptions(maxItems: count))
            #expect(result.hits.count == count)
            #expect(result.hits.allSatisfy { $0.data == Array(repeating: 2, count: 100) })
        }
    }
}
