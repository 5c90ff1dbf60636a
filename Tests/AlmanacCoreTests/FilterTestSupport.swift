import AlmanacCore
import AlmanacTestSupport

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

/// The property tests' generator (SplitMix64, seeded: runs are repeatable).
typealias FilterTestRNG = SeededGenerator
