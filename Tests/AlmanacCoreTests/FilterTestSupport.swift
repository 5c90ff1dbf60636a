import AlmanacCore

/// Shorthands for building expected filter trees in tests.
enum FilterTest {
    static func cond(_ field: String, _ op: FilterOperator, _ value: FilterValue) -> FilterExpression {
        .condition(FilterCondition(field: field, predicate: .compare(op, value)))
    }

    static func inList(_ field: String, _ values: [FilterValue]) -> FilterExpression {
        .condition(FilterCondition(field: field, predicate: .in(values)))
    }

    static func range(_ field: String, _ low: FilterValue, _ high: FilterValue) -> FilterExpression {
        .condition(FilterCondition(field: field, predicate: .range(low, high)))
    }

    static func exists(_ field: String) -> FilterExpression {
        .condition(FilterCondition(field: field, predicate: .exists))
    }

    static func parse(_ text: String) -> FilterExpression? {
        try? FilterParser.parse(text)
    }

    /// The error detail of parsing `text`, or nil when it parses.
    static func parseError(_ text: String) -> String? {
        do {
            _ = try FilterParser.parse(text)
            return nil
        } catch {
            return error.code == .invalidFilter ? error.detail : "wrong code \(error.code): \(error.detail)"
        }
    }

    /// The error detail of parsing and checking `text` against `schema`, or nil.
    static func checkError(_ text: String, _ schema: FilterSchema = .products) -> String? {
        do {
            _ = try schema.parse(text)
            return nil
        } catch {
            return error.code == .invalidFilter ? error.detail : "wrong code \(error.code): \(error.detail)"
        }
    }

    static func typed(_ text: String, _ schema: FilterSchema = .products) -> TypedFilter? {
        try? schema.parse(text)
    }
}

/// SplitMix64: a small, fast, seeded generator so property tests are deterministic.
struct FilterTestRNG: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }

    mutating func chance(_ percent: Int) -> Bool { below(100) < percent }

    mutating func pick<T>(_ items: [T]) -> T { items[below(items.count)] }
}
