import AlmanacCore
import Testing

@Suite struct FilterParserTests {
    typealias T = FilterTest

    @Test func comparisonOperators() throws {
        #expect(T.parse(#"brand = "A""#) == T.cond("brand", .equal, .string("A")))
        #expect(T.parse("price != 5") == T.cond("price", .notEqual, .integer(5)))
        #expect(T.parse("price < 5") == T.cond("price", .less, .integer(5)))
        #expect(T.parse("price <= 5") == T.cond("price", .lessOrEqual, .integer(5)))
        #expect(T.parse("price > 5") == T.cond("price", .greater, .integer(5)))
        #expect(T.parse("price>=5") == T.cond("price", .greaterOrEqual, .integer(5)))
        #expect(T.parse("in_stock = true") == T.cond("in_stock", .equal, .bool(true)))
        #expect(T.parse("in_stock=false") == T.cond("in_stock", .equal, .bool(false)))
    }

    @Test func inRangeExistsAndDottedFields() {
        #expect(T.parse(#"tags IN ["a", "b"]"#) == T.inList("tags", [.string("a"), .string("b")]))
        #expect(T.parse("price IN [1]") == T.inList("price", [.integer(1)]))
        #expect(T.parse("price 10 TO 20") == T.range("price", .integer(10), .integer(20)))
        #expect(T.parse(#"created_at "2024-01-01T00:00:00Z" TO "2025-01-01T00:00:00Z""#)
            == T.range("created_at", .string("2024-01-01T00:00:00Z"), .string("2025-01-01T00:00:00Z")))
        #expect(T.parse("attributes.arch EXISTS") == T.exists("attributes.arch"))
        #expect(T.parse(#"entity.type = "repository""#) == T.cond("entity.type", .equal, .string("repository")))
        #expect(T.parse("attributes.files_changed > 3") == T.cond("attributes.files_changed", .greater, .integer(3)))
        #expect(T.parse(#"attributes.content-type = "x""#) == T.cond("attributes.content-type", .equal, .string("x")))
        #expect(T.parse(#"attributes.größe = "x""#) == T.cond("attributes.größe", .equal, .string("x")))
    }

    @Test func andOrAreNary() {
        let a = T.cond("a", .equal, .integer(1))
        let b = T.cond("b", .equal, .integer(2))
        let c = T.cond("c", .equal, .integer(3))
        #expect(T.parse("a = 1 AND b = 2 AND c = 3") == .and([a, b, c]))
        #expect(T.parse("a = 1 OR b = 2 OR c = 3") == .or([a, b, c]))
    }

    @Test func precedence() {
        let a = T.cond("a", .equal, .integer(1))
        let b = T.cond("b", .equal, .integer(2))
        let c = T.cond("c", .equal, .integer(3))
        #expect(T.parse("a = 1 OR b = 2 AND c = 3") == .or([a, .and([b, c])]))
        #expect(T.parse("a = 1 AND b = 2 OR c = 3") == .or([.and([a, b]), c]))
        #expect(T.parse("a = 1 AND (b = 2 OR c = 3)") == .and([a, .or([b, c])]))
    }

    @Test func parenthesisedGroupsStayTheirOwnNode() {
        let a = T.cond("a", .equal, .integer(1))
        let b = T.cond("b", .equal, .integer(2))
        let c = T.cond("c", .equal, .integer(3))
        #expect(T.parse("(a = 1 AND b = 2) AND c = 3") == .and([.and([a, b]), c]))
        #expect(T.parse("((a = 1 AND b = 2))") == .and([a, b]))
        #expect(T.parse("((a = 1))") == a)
        #expect(T.parse("(NOT a = 1)") == .not(a))
    }

    @Test func notBindsTightest() {
        let a = T.cond("a", .equal, .integer(1))
        let b = T.cond("b", .equal, .integer(2))
        #expect(T.parse("NOT a = 1 AND b = 2") == .and([.not(a), b]))
        #expect(T.parse("NOT a = 1 OR b = 2") == .or([.not(a), b]))
        #expect(T.parse("NOT (a = 1 OR b = 2)") == .not(.or([a, b])))
        #expect(T.parse("NOT NOT a = 1") == .not(.not(a)))
        #expect(T.parse("b = 2 AND NOT a = 1") == .and([b, .not(a)]))
    }

    @Test func keywordsAreCaseInsensitive() {
        let expected: FilterExpression = .or([
            .and([T.cond("a", .equal, .bool(true)), T.inList("b", [.integer(1)])]),
            .not(T.exists("c")),
            T.range("d", .integer(1), .integer(2)),
        ])
        #expect(T.parse("a = TRUE and b in [1] Or not c exists OR d 1 to 2") == expected)
        #expect(T.parse("a = True AnD b In [1] oR NoT c ExIsTs or d 1 To 2") == expected)
        // Field names are not keywords when dotted, and are case-sensitive.
        #expect(T.parse("attributes.and = 1") == T.cond("attributes.and", .equal, .integer(1)))
        #expect(T.parse("Brand = 1") == T.cond("Brand", .equal, .integer(1)))
        // Only ASCII letters fold: a dotless ı does not make `ın` the keyword IN.
        #expect(T.parse("ın = 1") == T.cond("ın", .equal, .integer(1)))
        #expect(T.parse("exiſts = 1") == T.cond("exiſts", .equal, .integer(1)))
    }

    @Test func stringEscapes() {
        #expect(T.parse(#"a = "say \"hi\" \\ there""#) == T.cond("a", .equal, .string(#"say "hi" \ there"#)))
        #expect(T.parse(#"a = """#) == T.cond("a", .equal, .string("")))
        #expect(T.parse(#"a = "Crème brûlée ☕""#) == T.cond("a", .equal, .string("Crème brûlée ☕")))
        #expect(T.parse(#"a = "AND OR ( ) [ ]""#) == T.cond("a", .equal, .string("AND OR ( ) [ ]")))
        #expect(T.parseError(#"a = "bad \n escape""#) == #"invalid escape '\n' at position 10; only \" and \\ are allowed in strings"#)
    }

    @Test func numbers() {
        func value(_ literal: String) -> FilterValue? {
            guard case .condition(let c)? = T.parse("x = \(literal)"), case .compare(_, let v) = c.predicate else { return nil }
            return v
        }
        #expect(value("0") == .integer(0))
        #expect(value("-5") == .integer(-5))
        #expect(value("007") == .integer(7))
        #expect(value("1.5") == .number(1.5))
        #expect(value("-0.25") == .number(-0.25))
        #expect(value("1e3") == .number(1000))
        #expect(value("2.5E-3") == .number(0.0025))
        #expect(value("-1e+2") == .number(-100))
        #expect(value("9223372036854775807") == .integer(.max))
        #expect(value("-9223372036854775808") == .integer(.min))
        #expect(value("9223372036854775808") == .number(9_223_372_036_854_775_808))
        #expect(T.parseError("x = 1e999") == "number '1e999' at position 5 is out of range")
        #expect(T.parseError("x = 1.") == "malformed number '1.' at position 5: expected a digit after '.'")
        #expect(T.parseError("x = 1e") == "malformed number '1e' at position 5: expected a digit in the exponent")
        #expect(T.parseError("x = 12abc") == "malformed number '12abc' at position 5")
        #expect(T.parseError("x = 1.2.3") == "malformed number '1.2.3' at position 5")
        #expect(T.parseError("x = .5") == "unexpected character '.' at position 5")
        #expect(T.parseError("x = - 5") == "expected a digit after '-' at position 6")
        #expect(T.parseError("x = +5") == "unexpected character '+' at position 5")
    }

    @Test func errorsNameTheirPosition() {
        #expect(T.parseError("brand = ") == "expected a value after '=' at position 9 (the end of the filter)")
        #expect(T.parseError(#"id = "abc"#) == "unterminated string starting at position 6")
        #expect(T.parseError("id IN []") == "empty IN list at position 7")
        #expect(T.parseError("OR a = 1") == "unexpected 'OR' at position 1; expected a condition")
        #expect(T.parseError("a = 1 b = 2") == "unexpected 'b' at position 7; expected AND, OR or the end of the filter")
        #expect(T.parseError("a = 1 AND") == "unexpected end of filter at position 10; expected a condition")
        #expect(T.parseError("(a = 1") == "unclosed '(' at position 1")
        #expect(T.parseError("(a = 1 b") == "unexpected 'b' at position 8; expected ')' to close the '(' at position 1")
        #expect(T.parseError("a = 1)") == "unexpected ')' at position 6; expected AND, OR or the end of the filter")
        #expect(T.parseError("()") == "empty parentheses at position 1")
        #expect(T.parseError("a") == "unexpected end of filter at position 2; expected an operator (= != < <= > >=), IN, EXISTS or a range after 'a'")
        #expect(T.parseError("a = brand") == "expected a value after '=' at position 5, got 'brand'; strings must be double-quoted")
        #expect(T.parseError("a = (") == "expected a value after '=' at position 5, got '('")
        #expect(T.parseError("a ! 1") == "unexpected character '!' at position 3; did you mean '!=' or NOT?")
        #expect(T.parseError("a = 1 & b = 2") == "unexpected character '&' at position 7")
        #expect(T.parseError("a IN 1") == "unexpected '1' at position 6; expected '[' after IN at position 3")
        #expect(T.parseError("a IN [1 2]") == "unexpected '2' at position 9; expected ',' or ']' in the IN list")
        #expect(T.parseError("a IN [1,]") == "expected a value after ',' at position 9, got ']'")
        #expect(T.parseError("a IN [1") == "unclosed IN list: '[' at position 6 has no ']'")
        #expect(T.parseError("a 1") == "unexpected end of filter at position 4; expected TO after the value at position 3 (a range is written 'field low TO high')")
        #expect(T.parseError("a 1 TO") == "expected a value after TO at position 7 (the end of the filter)")
        #expect(T.parseError("a. = 1") == "expected a name after '.' at position 3")
        #expect(T.parseError("") == "empty filter")
        #expect(T.parseError("  \n ") == "empty filter")
        #expect(T.parseError("a == 1") == "expected a value after '=' at position 4, got '='")
    }

    @Test func positionsCountCharactersNotBytes() {
        // é is one character (two bytes; or e + U+0301, still one character).
        #expect(T.parseError(#"é = "x" AND OR"#) == "unexpected 'OR' at position 13; expected a condition")
        #expect(T.parseError("e\u{301} = \"x\" AND OR") == "unexpected 'OR' at position 13; expected a condition")
        #expect(T.parseError(#"a = "☕☕" OR"#) == "unexpected end of filter at position 12; expected a condition")
        // Non-breaking space is whitespace.
        #expect(T.parse("a\u{00A0}=\u{3000}1") == T.cond("a", .equal, .integer(1)))
    }

    @Test func conditionsCarryPositions() throws {
        let parsed = try FilterParser.parse(#"brand = "A" AND price 10 TO 20 AND tags IN ["x", "y"]"#)
        guard case .and(let parts) = parsed, parts.count == 3,
            case .condition(let brand) = parts[0], case .condition(let price) = parts[1], case .condition(let tags) = parts[2]
        else {
            Issue.record("unexpected shape \(parsed)")
            return
        }
        #expect(brand.position == 1)
        #expect(brand.valuePositions == [9])
        #expect(price.position == 17)
        #expect(price.valuePositions == [23, 29])
        #expect(tags.position == 36)
        #expect(tags.valuePositions == [45, 50])
    }

    @Test func limits() {
        let deepParens = String(repeating: "(", count: 33) + "a = 1" + String(repeating: ")", count: 33)
        #expect(T.parseError(deepParens) == "filter nests deeper than 32 levels at position 33")
        let okParens = String(repeating: "(", count: 32) + "a = 1" + String(repeating: ")", count: 32)
        #expect(T.parse(okParens) == T.cond("a", .equal, .integer(1)))
        let deepNots = String(repeating: "NOT ", count: 40) + "a = 1"
        #expect(T.parseError(deepNots)?.hasPrefix("filter nests deeper than 32 levels") == true)
        // Far beyond any stack: still an error, not a crash.
        #expect(T.parseError(String(repeating: "(", count: 200_000))?.hasPrefix("filter nests deeper") == true)
        #expect(T.parseError(String(repeating: "NOT ", count: 100_000))?.hasPrefix("filter nests deeper") == true)

        let many = (0..<1025).map { "a = \($0)" }.joined(separator: " OR ")
        #expect(T.parseError(many)?.hasPrefix("filter has more than 1024 conditions") == true)
        let enough = (0..<1024).map { "a = \($0)" }.joined(separator: " OR ")
        #expect(T.parse(enough) != nil)
        let longList = "a IN [" + (0..<1025).map(String.init).joined(separator: ",") + "]"
        #expect(T.parseError(longList)?.hasPrefix("IN list has more than 1024 values") == true)

        let small = FilterParser.Limits(maxDepth: 2, maxConditions: 2, maxListValues: 2)
        #expect(throws: AlmanacError.self) { try FilterParser.parse("a = 1 OR b = 2 OR c = 3", limits: small) }
        #expect(throws: AlmanacError.self) { try FilterParser.parse("NOT NOT NOT a = 1", limits: small) }
        #expect(throws: AlmanacError.self) { try FilterParser.parse("a IN [1, 2, 3]", limits: small) }
    }

    @Test func lexerTokens() throws {
        let tokens = try FilterLexer.tokenize(#"a.b>=-1.5 AND("x")"#)
        #expect(tokens.map(\.kind) == [
            .name("a.b"), .op(.greaterOrEqual), .number(.number(-1.5)), .keyword(.and),
            .leftParen, .string("x"), .rightParen, .end,
        ])
        #expect(tokens.map(\.position) == [1, 4, 6, 11, 14, 15, 18, 19])
        #expect(tokens.map(\.byteRange) == [0..<3, 3..<5, 5..<9, 10..<13, 13..<14, 14..<17, 17..<18, 18..<18])
    }
}

@Suite struct FilterPrinterTests {
    @Test func canonicalText() throws {
        func canonical(_ text: String) throws -> String { FilterPrinter.print(try FilterParser.parse(text)) }
        #expect(try canonical(#"a=1 and(b="x"or c exists)"#) == #"a = 1 AND (b = "x" OR c EXISTS)"#)
        #expect(try canonical("not not a=1") == "NOT NOT a = 1")
        #expect(try canonical("not (a=1 or b=2) and c in [1,2.5,true]") == "NOT (a = 1 OR b = 2) AND c IN [1, 2.5, true]")
        #expect(try canonical("(a = 1 or b = 2) or c = 3") == "(a = 1 OR b = 2) OR c = 3")
        #expect(try canonical("a = 1 and b = 2 or c = 3") == "(a = 1 AND b = 2) OR c = 3")
        #expect(try canonical("x 1e3 to 2E+3") == "x 1000.0 TO 2000.0")
        #expect(try canonical("x = 1e20") == "x = 1e+20")
        #expect(try canonical("x = -0.0") == "x = -0.0")
        #expect(try canonical(#"s = "a\"b\\c""#) == #"s = "a\"b\\c""#)
        #expect(try canonical("((a = 1))") == "a = 1")
    }

    @Test func printedTextParsesBack() throws {
        let texts = [
            #"brand = "A" AND (price < 10 OR NOT in_stock = true) AND tags IN ["a", "b"]"#,
            "(a = 1 AND b = 2) AND c = 3",
            "NOT (NOT (a = 1 OR b = 2))",
            "x 9223372036854775807 TO 9223372036854775808",
        ]
        for text in texts {
            let tree = try FilterParser.parse(text)
            #expect(try FilterParser.parse(FilterPrinter.print(tree)) == tree)
            #expect(tree.description == FilterPrinter.print(tree))
        }
    }
}
