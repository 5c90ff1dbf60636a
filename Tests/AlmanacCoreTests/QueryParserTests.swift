import AlmanacCore
import Testing
import AlmanacTestSupport

@Suite struct QueryParserTests {
    let parser = TextQueryParser.products

    func parse(_ q: String) -> String? { parser.parse(q)?.description }

    func term(_ word: String, field: String? = nil, prefix: Bool = false) -> TextQuery {
        .term(TextTerm(word: word, field: field, isPrefix: prefix))
    }

    func phrase(_ words: [String], field: String? = nil) -> TextQuery {
        .phrase(TextPhrase(words: words, field: field))
    }

    @Test func wordsDefaultToAnd() {
        #expect(parser.parse("red kettle") == .and([term("red"), term("kettle", prefix: true)]))
        #expect(parser.parse("red kettle ") == .and([term("red"), term("kettle")]))
        #expect(parser.parse("Kettles!") == term("kettles"))
        #expect(parser.parse("Kettles") == term("kettles", prefix: true))
        #expect(parse("salt and pepper not sugar or honey ") == "salt and pepper not sugar or honey")
        #expect(parse("a AND b c") == "a b c*")
    }

    @Test func phrases() {
        #expect(parser.parse(#""Stainless Steel" kettle"#) == .and([phrase(["stainless", "steel"]), term("kettle", prefix: true)]))
        #expect(parser.parse(#""kettle""#) == phrase(["kettle"]))
        #expect(parser.parse(#""kettle"#) == phrase(["kettle"]))
        #expect(parser.parse("“smart quotes” too") == .and([phrase(["smart", "quotes"]), term("too", prefix: true)]))
        #expect(parser.parse(#""open phrase AND NOT"#) == phrase(["open", "phrase", "and", "not"]))
        #expect(parser.parse(#""" x"#) == term("x", prefix: true))
        #expect(parser.parse(#"a"b c"d"#) == .and([term("a"), phrase(["b", "c"]), term("d", prefix: true)]))
    }

    @Test func orAndPrecedence() {
        #expect(parser.parse("red OR blue") == .or([term("red"), term("blue", prefix: true)]))
        #expect(parse("a b OR c") == "a b OR c*")
        #expect(parser.parse("a b OR c ") == .or([.and([term("a"), term("b")]), term("c")]))
        #expect(parser.parse("a OR b c ") == .or([term("a"), .and([term("b"), term("c")])]))
        #expect(parser.parse("(a OR b) c ") == .and([.or([term("a"), term("b")]), term("c")]))
        #expect(parse("a OR b OR c ") == "a OR b OR c")
        #expect(parse("(a b) (c d) ") == "a b c d")
    }

    @Test func exclusion() {
        #expect(parser.parse("kettle NOT plastic") == .and([term("kettle"), .not(term("plastic"))]))
        #expect(parser.parse("kettle -plastic") == .and([term("kettle"), .not(term("plastic"))]))
        #expect(parser.parse("kettle AND NOT plastic ") == .and([term("kettle"), .not(term("plastic"))]))
        #expect(parser.parse(#"kettle -"cheap plastic""#) == .and([term("kettle"), .not(phrase(["cheap", "plastic"]))]))
        #expect(parser.parse("kettle -(a OR b)") == .and([term("kettle"), .not(.or([term("a"), term("b")]))]))
        #expect(parser.parse("-plastic") == .not(term("plastic")))
        #expect(parser.parse("NOT -plastic") == term("plastic", prefix: true))
        #expect(parser.parse("NOT NOT plastic") == term("plastic", prefix: true))
        // `-` inside a word separates; alone it is dropped.
        #expect(parser.parse("e-mail") == phrase(["e", "mail"]))
        #expect(parser.parse("a - b") == .and([term("a"), term("b", prefix: true)]))
        #expect(parser.parse("a -- b ") == .and([term("a"), term("b")]))
        #expect(parser.parse("a --b ") == .and([term("a"), .not(term("b"))]))
    }

    @Test func fields() {
        #expect(parser.parse("title:kettle brand:\"De Longhi\"") == .and([term("kettle", field: "title"), phrase(["de", "longhi"], field: "brand")]))
        #expect(parser.parse("Title:Kettle") == term("kettle", field: "title", prefix: true))
        #expect(parser.parse("-title:kettle") == .not(term("kettle", field: "title")))
        #expect(parser.parse("title:e-mail") == phrase(["e", "mail"], field: "title"))
        #expect(parser.parse("foo:bar") == phrase(["foo", "bar"]))
        #expect(parser.parse("title:(red OR blue) kettle ") == .and([.or([term("red", field: "title"), term("blue", field: "title")]), term("kettle")]))
        #expect(parser.parse("title:(red brand:blue) ") == .and([term("red", field: "title"), term("blue", field: "brand")]))
        #expect(parser.parse("title: kettle") == term("kettle", prefix: true))
        #expect(parser.parse("title:") == nil)
        #expect(parser.parse("-title: kettle ") == term("kettle"))
        #expect(parser.parse("title:kettle:blue ") == phrase(["kettle", "blue"], field: "title"))
        // Events have no fields: `message:x` is text.
        #expect(TextQueryParser.events.parse("title:kettle ") == phrase(["title", "kettle"]))
    }

    @Test func multiTokenWordsBecomePhrases() {
        #expect(parser.parse("python3-foo ") == phrase(["python3", "foo"]))
        #expect(parser.parse("SSL_read() ") == phrase(["ssl", "read"]))
        #expect(parser.parse("don't") == term("dont", prefix: true))
        #expect(parser.parse("東京 ") == phrase(["東", "京"]))
    }

    @Test func prefixRules() {
        #expect(parse("red kett") == "red kett*")
        #expect(parse("red kett ") == "red kett")
        #expect(parse("red kett\t") == "red kett")
        #expect(parse("red kett.") == "red kett")
        #expect(parse("red kett)") == "red kett")
        #expect(parse("(red kett") == "red kett*")
        #expect(parse(#"red "kett"#) == #"red "kett""#)
        #expect(parse("red -kett") == "red -kett")
        #expect(parse("red NOT kett") == "red -kett")
        #expect(parse("red title:kett") == "red title:kett*")
        #expect(parse("red e-ma") == #"red "e ma""#)
        #expect(parse("kett red") == "kett red*")
        #expect(parse("red OR") == "red")
        #expect(parse("crème brû") == "crème brû*")
        #expect(parse("cafe\u{301}") == "cafe\u{301}*")
    }

    @Test func strayOperatorsAndGarbageAreDropped() {
        #expect(parse("AND a") == "a*")
        #expect(parse("OR a OR") == "a")
        #expect(parse("a AND") == "a")
        #expect(parse("a OR OR b ") == "a OR b")
        #expect(parse("a NOT") == "a")
        #expect(parser.parse("NOT") == nil)
        #expect(parser.parse("-") == nil)
        #expect(parser.parse("") == nil)
        #expect(parser.parse("   ") == nil)
        #expect(parser.parse("!!! ???") == nil)
        #expect(parser.parse(#""""#) == nil)
        #expect(parser.parse("()") == nil)
        #expect(parse("a) b ") == "a b")
        #expect(parse("((a b ") == "a b")
        #expect(parse(")))a") == "a*")
        #expect(parse("a ( ) b ") == "a b")
    }

    @Test func queryTextParsesBack() {
        let queries = [
            #"red "stainless steel" -plastic title:kettle OR brand:"de longhi" "#,
            "(a OR b) (c OR -d) ",
            "-(a b) c ",
            "x OR -y ",
        ]
        for q in queries {
            guard let query = parser.parse(q) else {
                Issue.record("no query for \(q)")
                continue
            }
            #expect(parser.parse(query.queryText + " ") == query, "\(q) -> \(query.queryText)")
        }
    }

    @Test func positiveTerms() {
        let query = parser.parse(#"red "steel pot" -plastic title:kett"#)
        #expect(query?.positiveTerms == [
            TextTerm(word: "red"), TextTerm(word: "steel"), TextTerm(word: "pot"), TextTerm(word: "kett", field: "title", isPrefix: true),
        ])
    }

    @Test func deepNestingIsBounded() {
        #expect(parse(String(repeating: "(", count: 100_000) + "a") == "a*")
        #expect(parse(String(repeating: "-(", count: 50_000) + "a") != nil)
        #expect(parse(String(repeating: "NOT ", count: 50_000) + "a") == "a*")
        #expect(parse(String(repeating: "(a OR ", count: 10_000)) != nil)
        let nested = String(repeating: "(a ", count: 40) + String(repeating: ")", count: 40)
        #expect(parse(nested) == String(repeating: "a ", count: 39) + "a")
    }

    @Test func randomInputNeverFailsAndPrintsBack() {
        let vocabulary = [
            "AND", "OR", "NOT", "and", "(", ")", "\"", "-", "-x", "title:", "title:x", "brand:\"y", "foo:bar", "Kettle",
            "e-mail", "don't", "é", "☕", "日本", "!", "x", "y", "'", ":", "“", "”", "\t", "\u{00A0}",
        ]
        var rng = FilterTestRNG(seed: 0x7E47)
        for index in 0..<2000 {
            let q: String
            if index % 2 == 0 {
                q = (0..<rng.below(12)).map { _ in rng.pick(vocabulary) }.joined(separator: rng.chance(70) ? " " : "")
            } else {
                let bytes = (0..<rng.below(40)).map { _ in
                    rng.chance(60) ? rng.pick(Array("ab -\"():ANDORNOT".utf8)) : UInt8(truncatingIfNeeded: rng.next())
                }
                q = String(decoding: bytes, as: UTF8.self)
            }
            guard let query = parser.parse(q) else { continue }
            // Printing and parsing again gives the same query, without prefix flags.
            #expect(parser.parse(query.queryText + " ") == query.withoutPrefixes, "\(q) -> \(query.queryText)")
        }
    }
}

extension TextQuery {
    fileprivate var withoutPrefixes: TextQuery {
        switch self {
        case .term(var term):
            term.isPrefix = false
            return .term(term)
        case .phrase: return self
        case .and(let children): return .and(children.map(\.withoutPrefixes))
        case .or(let children): return .or(children.map(\.withoutPrefixes))
        case .not(let child): return .not(child.withoutPrefixes)
        }
    }
}
