import Testing

@testable import AlmanacIndex

@Suite struct HighlighterTests {
    struct NoStemming: Stemming {
        func stem(_ word: String) -> String { word }
    }

    @Test func markedAndUnmarkedTextEscapeAlike() {
        #expect(Highlighter.escaped(#"<b>"Tom's" & co</b>"#) == "&lt;b&gt;&quot;Tom&#39;s&quot; &amp; co&lt;/b&gt;")
        #expect(Highlighter.escaped("caf\u{e9} ok") == "caf\u{e9} ok")
        #expect(Highlighter.escaped("") == "")
        let h = Highlighter(matchingTerms: ["kettle"], prefixes: [], fieldPrefixes: [], stemmer: NoStemming())
        #expect(h.highlight("a <kettle> & 'b'") == "a &lt;<mark>kettle</mark>&gt; &amp; &#39;b&#39;")
        #expect(h.highlight("no match <here>") == nil)
    }

    @Test func aCombiningMarkCannotHideASpecialCharacter() {
        // One grapheme ("<" + U+0301) but two scalars: escaping is by byte, so "<" goes.
        #expect(Highlighter.escaped("<\u{301}script>") == "&lt;\u{301}script&gt;")
        #expect(Highlighter.escaped("\"\u{301} onload=x") == "&quot;\u{301} onload=x")
    }
}
