import AlmanacCore
import Testing
import AlmanacTestSupport

/// Deterministic property tests: seeded random trees, bytes and token soups.
@Suite struct FilterPropertyTests {
    static let fieldNames = [
        "a", "price", "brand", "in_stock", "entity.type", "attributes.files_changed", "attributes.größe",
        "_x", "a-b", "attributes.a.b.c", "notable", "order", "tox", "x1",
    ]

    static func randomValue(_ rng: inout FilterTestRNG) -> FilterValue {
        switch rng.below(9) {
        case 0: return .integer(Int64(bitPattern: rng.next()))
        case 1: return .integer(Int64(rng.below(2001)) - 1000)
        case 2: return rng.pick([.integer(.max), .integer(.min), .integer(0)])
        case 3:
            // Any finite double, including subnormals and huge values.
            while true {
                let d = Double(bitPattern: rng.next())
                if d.isFinite { return .number(d) }
            }
        case 4: return .number(Double(rng.below(100_000)) / 100 - 500)
        case 5: return .bool(rng.chance(50))
        default:
            let pieces = ["a", "Z", " ", "\"", "\\", "é", "e\u{301}", "☕", "AND", "(", "]", ",", "\n", "\t", "'", "日本"]
            var s = ""
            for _ in 0..<rng.below(8) { s += rng.pick(pieces) }
            return .string(s)
        }
    }

    static func randomCondition(_ rng: inout FilterTestRNG) -> FilterExpression {
        let field = rng.pick(fieldNames)
        let predicate: FilterPredicate
        switch rng.below(4) {
        case 0: predicate = .compare(rng.pick(FilterOperator.allCases), randomValue(&rng))
        case 1: predicate = .in((0...rng.below(4)).map { _ in randomValue(&rng) })
        case 2: predicate = .range(randomValue(&rng), randomValue(&rng))
        default: predicate = .exists
        }
        return .condition(FilterCondition(field: field, predicate: predicate))
    }

    static func randomTree(_ rng: inout FilterTestRNG, depth: Int) -> FilterExpression {
        if depth == 0 || rng.chance(35) { return randomCondition(&rng) }
        switch rng.below(3) {
        case 0: return .and((0..<2 + rng.below(3)).map { _ in randomTree(&rng, depth: depth - 1) })
        case 1: return .or((0..<2 + rng.below(3)).map { _ in randomTree(&rng, depth: depth - 1) })
        default: return .not(randomTree(&rng, depth: depth - 1))
        }
    }

    @Test func printThenParseIsIdentity() throws {
        var rng = FilterTestRNG(seed: 0xF11_7E5)
        for _ in 0..<2000 {
            let tree = Self.randomTree(&rng, depth: 5)
            let text = FilterPrinter.print(tree)
            let parsed: FilterExpression
            do {
                parsed = try FilterParser.parse(text)
            } catch {
                Issue.record("printed tree does not parse: \(error.detail)\n\(text)")
                return
            }
            #expect(parsed == tree, "\(text)")
            #expect(FilterPrinter.print(parsed) == text)
        }
    }

    @Test func randomBytesNeverCrash() {
        var rng = FilterTestRNG(seed: 42)
        for _ in 0..<2000 {
            let bytes = (0..<rng.below(64)).map { _ in
                // Bias towards the filter's own ASCII so deeper paths are reached.
                rng.chance(70) ? rng.pick(Array(#"ab.=!<>()[],"\ -1e5 ANDORNOTINTOEXISTStruefalse"#.utf8)) : UInt8(truncatingIfNeeded: rng.next())
            }
            let text = String(decoding: bytes, as: UTF8.self)
            Self.expectParsesOrFailsCleanly(text)
        }
    }

    @Test func tokenSoupsNeverCrash() {
        let vocabulary = [
            "AND", "OR", "NOT", "and", "not", "(", ")", "[", "]", ",", "IN", "TO", "EXISTS", "exists", "=", "!=", "<", "<=",
            ">", ">=", "price", "brand", "category", "tags", "in_stock", "created_at", "attributes.x", "colour", "\"x\"",
            "\"main/libs\"", "\"2024-01-02T03:04:05Z\"", "1", "-2.5", "1e3", "true", "FALSE", "a.b", "\"unterminated",
            "\"esc\\\"aped\"", "!", ".", "-", "1.", "é",
        ]
        var rng = FilterTestRNG(seed: 7)
        var parsedCount = 0
        for index in 0..<2000 {
            var words: [String]
            if index % 2 == 0 {
                words = (0..<1 + rng.below(12)).map { _ in rng.pick(vocabulary) }
            } else {
                // A valid filter, its tokens then mutated a little.
                words = FilterPrinter.print(Self.randomTree(&rng, depth: 3)).split(separator: " ").map(String.init)
                for _ in 0..<rng.below(3) {
                    let at = rng.below(words.count)
                    switch rng.below(3) {
                    case 0: words.remove(at: at)
                    case 1: words.insert(rng.pick(vocabulary), at: at)
                    default: words[at] = rng.pick(vocabulary)
                    }
                    if words.isEmpty { break }
                }
            }
            let text = words.joined(separator: rng.chance(80) ? " " : "")
            if let tree = Self.expectParsesOrFailsCleanly(text) {
                parsedCount += 1
                #expect((try? FilterParser.parse(FilterPrinter.print(tree))) == tree, "\(text)")
                // Checking never crashes either; it checks or throws an invalid-filter error.
                for schema in [FilterSchema.products, .events] {
                    do {
                        let typed = try schema.check(tree)
                        _ = typed.facetSplit(for: "brand")
                        _ = typed.matches { _ in [] }
                    } catch {
                        #expect(error.code == .invalidFilter)
                        #expect(error.detail.contains("position"), "\(error.detail)")
                    }
                }
            }
        }
        #expect(parsedCount > 300)
    }

    @Test func pathologicalInputsFailFast() {
        let inputs = [
            String(repeating: "(", count: 100_000),
            String(repeating: "NOT ", count: 50_000),
            String(repeating: "(NOT ", count: 20_000),
            String(repeating: "a = 1 AND ", count: 5_000) + "a = 1",
            "a IN [" + String(repeating: "1,", count: 5_000) + "1]",
            "a = \"" + String(repeating: "\\", count: 10_001),
            String(repeating: "9", count: 10_000),
            "a = " + String(repeating: "9", count: 10_000),
            "a = " + String(repeating: "9", count: 400) + ".5",
            String(repeating: "é", count: 10_000),
        ]
        for input in inputs {
            Self.expectParsesOrFailsCleanly(input)
        }
    }

    /// Parses `text`; a failure must be an invalid-filter error naming a position.
    @discardableResult
    static func expectParsesOrFailsCleanly(_ text: String) -> FilterExpression? {
        do {
            return try FilterParser.parse(text)
        } catch {
            #expect(error.code == .invalidFilter)
            #expect(error.detail.contains("position") || error.detail == "empty filter", "\(error.detail)")
            return nil
        }
    }
}
