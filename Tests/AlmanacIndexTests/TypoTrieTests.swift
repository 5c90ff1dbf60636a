import AlmanacIndex
import AlmanacTestSupport
import Testing

/// The typo vocabulary's trie walk (banded Damerau-Levenshtein over shared prefixes) must
/// find exactly what comparing the query with every word finds.
@Suite("Typo trie")
struct TypoTrieTests {
    @Test func findsOneEditOfEachKind() {
        let trie = TypoTrie(entries: [("kettle", 10), ("kettles", 3), ("settle", 5), ("ketle", 1), ("cattle", 2), ("kettel", 1)])
        let found = Dictionary(uniqueKeysWithValues: trie.search("kettle", maxDistance: 1).map { ($0.word, $0.distance) })
        // insertion, substitution, deletion, transposition; the word itself is excluded.
        #expect(found == ["kettles": 1, "settle": 1, "ketle": 1, "kettel": 1])
        #expect(Set(trie.search("kettle", maxDistance: 2).map(\.word)) == ["kettles", "settle", "ketle", "kettel", "cattle"])
    }

    @Test func unicodeScalarsCountAsOneEdit() {
        let trie = TypoTrie(entries: [("café", 1), ("cafe", 1)])
        #expect(trie.search("cafe", maxDistance: 1).map(\.word) == ["café"])
    }

    /// Random vocabularies over a small alphabet (so near neighbours are common), random
    /// queries, distances 1 and 2: the trie agrees with the pairwise distance every time.
    @Test func agreesWithPairwiseDistance() {
        var rng = SeededGenerator(seed: 0xA1_3A_4A_C0)
        let alphabet = Array("abcde").map(String.init)
        func word(_ length: Int) -> String { (0..<length).map { _ in rng.pick(alphabet) }.joined() }
        for _ in 0..<40 {
            let words = (0..<300).map { _ in word(1 + rng.below(9)) }
            let trie = TypoTrie(entries: words.map { ($0, 1) })
            let vocabulary = Set(words)
            for _ in 0..<20 {
                let query = word(1 + rng.below(10))
                for k in 1...2 {
                    let expected = Set(vocabulary.filter { $0 != query && TypoTrie.distance(query, $0, limit: k) != nil })
                    let got = trie.search(query, maxDistance: k)
                    #expect(Set(got.map(\.word)) == expected, "query \(query), k \(k)")
                    for match in got {
                        #expect(match.distance == TypoTrie.distance(query, match.word, limit: k), "\(query) -> \(match.word)")
                    }
                }
            }
        }
    }

    /// Distance 2 runs as two half-constrained walks (forward and over reversed words):
    /// long words over a three-letter alphabet, where alignments of every shape occur,
    /// find exactly the pairwise answer.
    @Test func twoEditWalksAgreeWithPairwiseDistanceOnLongWords() {
        var rng = SeededGenerator(seed: 0x2E_D175)
        let alphabet = Array("abc").map(String.init)
        func word(_ length: Int) -> String { (0..<length).map { _ in rng.pick(alphabet) }.joined() }
        for _ in 0..<30 {
            let words = (0..<400).map { _ in word(4 + rng.below(11)) }
            let trie = TypoTrie(entries: words.map { ($0, 1) })
            let vocabulary = Set(words)
            for _ in 0..<30 {
                // Near neighbours of a vocabulary word as well as random strings.
                var query = rng.below(2) == 0 ? word(4 + rng.below(11)) : rng.pick(words)
                if rng.below(2) == 0, query.count > 2 {
                    var scalars = Array(query)
                    scalars.swapAt(rng.below(scalars.count - 1), rng.below(scalars.count - 1) + 1)
                    query = String(scalars)
                }
                let expected = Set(vocabulary.filter { $0 != query && TypoTrie.distance(query, $0, limit: 2) != nil })
                let got = trie.search(query, maxDistance: 2)
                #expect(Set(got.map(\.word)) == expected, "query \(query)")
                #expect(got.count == Set(got.map(\.word)).count, "each word once")
                for match in got {
                    #expect(match.distance == TypoTrie.distance(query, match.word, limit: 2), "\(query) -> \(match.word)")
                }
            }
        }
    }

    /// Frequencies from the seed, from new words and from increments of known words, before
    /// and after a rebuild folds them in: candidates come by (distance, frequency).
    @Test func vocabularyKeepsFrequencies() {
        let vocabulary = TypoVocabulary(entries: [("libeat", 1), ("libeet", 1), ("libnet", 2)])
        #expect(vocabulary.candidates(for: "libent", maxDistance: 1).map(\.word) == ["libnet", "libeat", "libeet"])
        vocabulary.add(counts: [("libeat", 5), ("libent", 1), ("libant", 9)])
        #expect(vocabulary.frequency(of: "libeat") == 6)
        #expect(vocabulary.frequency(of: "libant") == 9)
        let before = vocabulary.candidates(for: "libemt", maxDistance: 1)
        vocabulary.rebuild()
        #expect(vocabulary.candidates(for: "libemt", maxDistance: 1) == before)
        #expect(before.map(\.word) == ["libeat", "libeet", "libent"])
        vocabulary.add(["libeet", "libeet"])
        #expect(vocabulary.frequency(of: "libeet") == 3)
        #expect(vocabulary.candidates(for: "libemt", maxDistance: 1).map(\.weight) == [6, 3, 1])
    }
}
