import AlmanacIndex
import Testing

@Suite("Xapian stemming, encodings and documents")
struct XapianTextTests {
    @Test func stemming() throws {
        let english = try XapianStemmer(language: "english")
        #expect(english.stem("kettles") == english.stem("kettle"))
        #expect(english.stem("running") == "run")
        #expect(try XapianStemmer(language: "none").stem("kettles") == "kettles")
        let french = try XapianStemmer(language: "french")
        #expect(french.stem("chevaux") == french.stem("cheval"))
        let stem = Array("kettles".utf8).withUnsafeBytes { word in
            english.stem(word) { Array($0) }
        }
        #expect(stem == Array("kettl".utf8))
        // Longer than the initial scratch buffer.
        let long = String(repeating: "a", count: 300)
        #expect(english.stem(long) == long)
    }

    @Test func stemmerLanguages() throws {
        let languages = try XapianStemmer.availableLanguages()
        #expect(languages.contains("english"))
        #expect(languages.contains("french"))
    }

    @Test func unknownStemmerLanguageThrows() {
        expectXapianError(.invalidArgument) { _ = try XapianStemmer(language: "klingon") }
        expectXapianError(.invalidArgument) { _ = try XapianStemmer(language: "") }
    }

    @Test func sortableOrderAndRoundTrip() {
        let numbers: [Double] = [-1e9, -2.5, -1, 0, 0.001, 1, 2, 10, 1e12]
        let encoded = numbers.map(Sortable.serialise)
        for (a, b) in zip(encoded, encoded.dropFirst()) {
            #expect(a.lexicographicallyPrecedes(b))
        }
        for (n, e) in zip(numbers, encoded) {
            #expect(Sortable.unserialise(e) == n)
            #expect(e.count <= Sortable.maxLength)
        }
        var appended: [UInt8] = [7]
        Sortable.append(2.5, to: &appended)
        #expect(appended == [7] + Sortable.serialise(2.5))
    }

    @Test func multiValueRoundTrip() {
        let values: [[UInt8]] = [[], [1, 2, 3], Array(repeating: 9, count: 300), [0]]
        let encoded = MultiValue.encode(values)
        #expect(MultiValue.decode(encoded) == values)
        #expect(MultiValue.encode(["a", "bc"]) == [1, 97, 2, 98, 99])
        #expect(MultiValue.decode([5, 1, 2]) == nil)  // truncated
        #expect(MultiValue.decode([0x80]) == nil)  // unterminated varint
        #expect(MultiValue.decode([]) == [])
    }

    @Test func termBatchAndSingleCallsBuildTheSameDocument() throws {
        try withTemporaryDirectory { dir in
            let writer = try XapianWritableDatabase(path: dir + "/db")
            let single = XapianDocument()
            try single.addPosting("hello", position: 1)
            try single.addPosting("world", position: 2, wdfIncrement: 2)
            try single.addTerm("Zhello")
            try single.addBooleanTerm("Qsingle")
            try writer.add(single)

            var batch = XapianTermBatch()
            batch.addPosting("hello", position: 1)
            batch.addPosting("world", position: 2, wdfIncrement: 2)
            batch.addTerm("hello", prefix: "Z")
            batch.addBooleanTerm("batch", prefix: "Q")
            let batched = XapianDocument()
            try batched.add(batch)
            try writer.add(batched)
            try writer.commit()

            #expect(try writer.termFrequency("hello") == 2)
            #expect(try writer.termFrequency("Zhello") == 2)
            #expect(try writer.termFrequency("Qbatch") == 1)

            let reader = try XapianDatabase(path: dir + "/db")
            let phrase = try XapianQuery.phrase([.term("hello"), .term("world")])
            #expect(try reader.search(phrase, exactOptions()).hits.map(\.docid) == [1, 2])

            // Malformed packed buffers and empty terms are reported, not crashes.
            expectXapianError(.invalidArgument) {
                try XapianDocument().add(XapianTermBatch(packed: [1, 200]))
            }
            expectXapianError(.invalidArgument) {
                try XapianDocument().add(XapianTermBatch(packed: [9]))
            }
            expectXapianError(.invalidArgument) { try XapianDocument().addPosting("", position: 1) }
        }
    }
}
