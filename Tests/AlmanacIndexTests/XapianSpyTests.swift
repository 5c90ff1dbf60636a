import AlmanacIndex
import Testing

@Suite("Xapian match spies")
struct XapianSpyTests {
    @Test func allFourSpiesCountExactly() throws {
        try withTemporaryDirectory { dir in
            let writer = try XapianWritableDatabase(path: dir + "/db")
            try index(XapianSearchTests.catalogue, into: writer)
            let db = try XapianDatabase(path: dir + "/db")

            let ranges = [
                XapianNumericRange(to: 10),
                XapianNumericRange(from: 10, to: 50),
                XapianNumericRange(from: 15, to: 25),
                XapianNumericRange(from: 50),
                XapianNumericRange(),
            ]
            let spies: [XapianSpy] = [
                .valueCount(slot: Slot.category),
                .multiValueCount(slot: Slot.tags),
                .numericRanges(slot: Slot.price, ranges: ranges),
                .collect(slots: [Slot.price, Slot.category]),
            ]
            // Only 2 hits returned, but the spies see all 10 matches.
            var options = exactOptions(maxItems: 2, spies: spies)
            options.includeData = false
            let result = try db.search(.matchAll(), options)
            #expect(result.hits.count == 2)
            #expect(result.spyResults.count == 4)

            func counts(_ r: XapianSpyResult) -> [String: Int] {
                Dictionary(uniqueKeysWithValues: (r.valueCounts ?? []).map {
                    (String(decoding: $0.value, as: UTF8.self), $0.count)
                })
            }
            #expect(
                counts(result.spyResults[0]) == ["kitchen": 5, "garden": 2, "pantry": 1, "sport": 1])
            // p02's tags are ["red", "red"]: counted once.
            #expect(
                counts(result.spyResults[1]) == ["red": 3, "metal": 3, "green": 2, "electric": 1])
            // Prices: 25 40 15 15 9.5 120 3 15 - 250 (p09 has none).
            #expect(result.spyResults[2].rangeCounts == [2, 5, 3, 2, 9])

            let collected = try #require(result.spyResults[3].collected)
            #expect(collected.documentCount == 10)
            #expect(collected.slots == [Slot.price, Slot.category])
            #expect(collected.numbers(slotIndex: 0).sorted() == [3, 9.5, 15, 15, 15, 25, 40, 120, 250])
            var categories: [String] = []
            var documents = 0
            collected.forEachDocument { values in
                #expect(values.count == 2)
                documents += 1
                if !values[1].isEmpty { categories.append(String(decoding: values[1], as: UTF8.self)) }
            }
            #expect(documents == 10)
            #expect(categories.count == 9)

            // A filtered query: spies see only its matches.
            let kitchen = try db.search(try .term("XCkitchen"), exactOptions(maxItems: 0, spies: spies))
            #expect(kitchen.hits.isEmpty)
            #expect(kitchen.matchesEstimated == 5)
            #expect(counts(kitchen.spyResults[0]) == ["kitchen": 5])
            #expect(counts(kitchen.spyResults[1]) == ["red": 3, "metal": 1, "electric": 1])
            #expect(kitchen.spyResults[2].rangeCounts == [0, 3, 1, 2, 5])
            #expect(kitchen.spyResults[3].collected?.documentCount == 5)
        }
    }

    @Test func multiValueSpyIgnoresMalformedTails() throws {
        try withTemporaryDirectory { dir in
            let writer = try XapianWritableDatabase(path: dir + "/db")
            let doc = XapianDocument()
            try doc.addBooleanTerm("Qx")
            doc.setValue(Slot.tags, [1, 97, 9, 98])  // "a", then a truncated entry
            try writer.add(doc)
            try writer.commit()
            let db = try XapianDatabase(path: dir + "/db")
            let result = try db.search(.matchAll(), exactOptions(spies: [.multiValueCount(slot: Slot.tags)]))
            #expect(result.spyResults[0].valueCounts == [XapianFacetCount(value: [97], count: 1)])
        }
    }
}
