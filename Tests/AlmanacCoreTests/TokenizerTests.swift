import AlmanacCore
import Testing
import AlmanacTestSupport

@Suite struct TokenizerTests {
    /// The original text of each token, through its UTF-8 range.
    func slices(_ text: String) -> [String] {
        let bytes = Array(text.utf8)
        return Tokenizer.tokens(in: text).map { String(decoding: bytes[$0.range], as: UTF8.self) }
    }

    @Test func asciiWordsAndRanges() {
        let text = "The quick, brown FOX!"
        let tokens = Tokenizer.tokens(in: text)
        #expect(tokens.map(\.text) == ["the", "quick", "brown", "fox"])
        #expect(tokens.map(\.range) == [0..<3, 4..<9, 11..<16, 17..<20])
        #expect(tokens.map(\.position) == [0, 1, 2, 3])
        #expect(slices(text) == ["The", "quick", "brown", "FOX"])
    }

    @Test func nonASCIIWords() {
        let text = "Crème brûlée, ÉCOLE & Привет МИР; straße Ωmega"
        #expect(Tokenizer.words(text) == ["crème", "brûlée", "école", "привет", "мир", "straße", "ωmega"])
        #expect(slices(text) == ["Crème", "brûlée", "ÉCOLE", "Привет", "МИР", "straße", "Ωmega"])
        let tokens = Tokenizer.tokens(in: "Crème brûlée")
        #expect(tokens.map(\.range) == [0..<6, 7..<15])
    }

    @Test func combiningMarksStayInTheirWord() {
        let decomposed = "cre\u{300}me bru\u{302}le\u{301}e"
        #expect(Tokenizer.words(decomposed) == ["cre\u{300}me", "bru\u{302}le\u{301}e"])
        // No normalisation: the decomposed and precomposed spellings stay different bytes.
        #expect(Array(Tokenizer.words(decomposed)[0].utf8) != Array("crème".utf8))
        // A mark with no word before it is dropped.
        #expect(Tokenizer.words("\u{301}abc") == ["abc"])
    }

    @Test func digitsAndSeparators() {
        #expect(Tokenizer.words("iPhone 15 Pro 256GB, v1.2.3") == ["iphone", "15", "pro", "256gb", "v1", "2", "3"])
        #expect(Tokenizer.words("SSL_read python3-foo e-mail a/b user@example.com") == ["ssl", "read", "python3", "foo", "e", "mail", "a", "b", "user", "example", "com"])
        #expect(Tokenizer.words("tea☕time 🙂 ok") == ["tea", "time", "ok"])
        #expect(Tokenizer.words("٣ apples ²") == ["٣", "apples", "²"])
        #expect(Tokenizer.words("") == [])
        #expect(Tokenizer.words(" \t\n.,;!?") == [])
    }

    @Test func apostrophesInsideWordsAreDropped() {
        let text = "Don't 'quoted' O’Reilly rock'n'roll dogs' it''s"
        #expect(Tokenizer.words(text) == ["dont", "quoted", "oreilly", "rocknroll", "dogs", "it", "s"])
        #expect(slices(text) == ["Don't", "quoted", "O’Reilly", "rock'n'roll", "dogs", "it", "s"])
        #expect(Tokenizer.words("l’été") == ["lété"])
    }

    @Test func ideographsAndKanaAreOneWordEach() {
        #expect(Tokenizer.words("東京タワー visit") == ["東", "京", "タ", "ワ", "ー", "visit"])
        #expect(Tokenizer.words("abc漢字def") == ["abc", "漢", "字", "def"])
        #expect(slices("東京") == ["東", "京"])
    }

    @Test func longWordsAreSkippedWithoutUsingAPosition() {
        let max = String(repeating: "a", count: 64)
        let tooLong = String(repeating: "b", count: 65)
        let tokens = Tokenizer.tokens(in: "x \(tooLong) \(max) y")
        #expect(tokens.map(\.text) == ["x", max, "y"])
        #expect(tokens.map(\.position) == [0, 1, 2])
        // The limit is on UTF-8 bytes: 32 two-byte letters fit, 33 do not.
        #expect(Tokenizer.words(String(repeating: "é", count: 32)).count == 1)
        #expect(Tokenizer.words(String(repeating: "é", count: 33)).isEmpty)
        #expect(Tokenizer.words(String(repeating: "A", count: 64) + "'s").isEmpty)
        #expect(Tokenizer.words(String(repeating: "A", count: 63) + "'s") == [String(repeating: "a", count: 63) + "s"])
        #expect(Tokenizer.words(String(repeating: "x", count: 100_000) + " ok") == ["ok"])
    }

    @Test func positionsAndStart() {
        var seen: [Int] = []
        let next = Tokenizer.forEachToken(in: "a b, c", startPosition: 10) { seen.append($0.position) }
        #expect(seen == [10, 11, 12])
        #expect(next == 13)
        #expect(Tokenizer.forEachToken(in: "...") { _ in } == 0)
    }

    @Test func helpers() {
        #expect(Tokenizer.containsDigit("abc") == false)
        #expect(Tokenizer.containsDigit("a1") == true)
        #expect(Tokenizer.containsDigit("xl٣") == true)
        #expect(Tokenizer.containsDigit("crème") == false)
        #expect(Tokenizer.singleWord("Kettle!") == "kettle")
        #expect(Tokenizer.singleWord("e-mail") == nil)
        #expect(Tokenizer.singleWord("!!") == nil)
    }

    @Test func randomTextKeepsInvariants() {
        let pieces = ["a", "Z", "9", " ", "'", "’", "é", "e\u{301}", "\u{301}", "東", "タ", "☕", "-", "_", "Σ", "İ", "\u{212A}", "\u{0}", "\n"]
        var rng = FilterTestRNG(seed: 99)
        for _ in 0..<2000 {
            var text = ""
            for _ in 0..<rng.below(40) {
                text += rng.chance(90) ? rng.pick(pieces) : String(decoding: [UInt8(truncatingIfNeeded: rng.next())], as: UTF8.self)
            }
            let bytes = Array(text.utf8)
            var last = 0
            var position = 0
            Tokenizer.forEachToken(in: text) { token in
                #expect(token.range.lowerBound >= last && token.range.upperBound <= bytes.count && !token.range.isEmpty)
                #expect(!token.text.isEmpty && token.text.utf8.count <= Tokenizer.maxWordBytes)
                #expect(token.position == position)
                // The token is the lower-cased original without apostrophes.
                let original = String(decoding: bytes[token.range], as: UTF8.self)
                let expected = String(String.UnicodeScalarView(original.unicodeScalars.filter { $0 != "'" && $0 != "’" })).lowercased()
                #expect(Array(token.text.utf8) == Array(expected.utf8), "\(text.debugDescription)")
                // Tokenizing a token again gives itself.
                #expect(Tokenizer.words(token.text).count >= 1)
                last = token.range.upperBound
                position += 1
            }
        }
    }
}
