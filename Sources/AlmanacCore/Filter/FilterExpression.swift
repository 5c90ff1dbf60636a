/// The syntax tree of a `filter=` expression, as `FilterParser` produces it.
///
/// Shape rules (the parser guarantees them; `FilterPrinter` and the property tests rely
/// on them):
/// - `a AND b AND c` is one n-ary `.and([a, b, c])`; likewise for `OR`. Compound nodes
///   built by the parser always have at least two children.
/// - A parenthesised group stays its own node: `(a AND b) AND c` is
///   `.and([.and([a, b]), c])`. Parentheses around a single condition or a `NOT` leave
///   no trace.
/// - Source positions are carried for error messages but are not part of equality.
public indirect enum FilterExpression: Sendable, Hashable {
    case and([FilterExpression])
    case or([FilterExpression])
    case not(FilterExpression)
    case condition(FilterCondition)
}

/// One `field <predicate>` leaf of a filter.
public struct FilterCondition: Sendable, Hashable {
    /// The dotted field path as written (`price`, `entity.type`, `attributes.arch`).
    public var field: String
    public var predicate: FilterPredicate
    /// 1-based character position of the field name in the filter text.
    public var position: Int
    /// 1-based character positions of the predicate's values, in order (the range's two
    /// ends, the `IN` list's elements); empty for `EXISTS`. Used for type errors.
    public var valuePositions: [Int]

    public init(field: String, predicate: FilterPredicate, position: Int = 1, valuePositions: [Int] = []) {
        self.field = field
        self.predicate = predicate
        self.position = position
        self.valuePositions = valuePositions
    }

    /// Positions are deliberately not part of equality.
    public static func == (lhs: FilterCondition, rhs: FilterCondition) -> Bool {
        lhs.field == rhs.field && lhs.predicate == rhs.predicate
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(field)
        hasher.combine(predicate)
    }

    /// The position of the `index`-th value, falling back to the field's position.
    public func valuePosition(_ index: Int) -> Int {
        index < valuePositions.count ? valuePositions[index] : position
    }
}

public enum FilterPredicate: Sendable, Hashable {
    /// `field op value`
    case compare(FilterOperator, FilterValue)
    /// `field IN [v, ...]` (never empty)
    case `in`([FilterValue])
    /// `field low TO high`, both ends inclusive
    case range(FilterValue, FilterValue)
    /// `field EXISTS`
    case exists
}

public enum FilterOperator: String, Sendable, Hashable, CaseIterable {
    case equal = "="
    case notEqual = "!="
    case less = "<"
    case lessOrEqual = "<="
    case greater = ">"
    case greaterOrEqual = ">="

    /// Whether the operator needs an ordering (`<`, `<=`, `>`, `>=`).
    public var isOrdering: Bool {
        switch self {
        case .equal, .notEqual: false
        case .less, .lessOrEqual, .greater, .greaterOrEqual: true
        }
    }
}

/// A literal as written in the filter, before any schema gives it a meaning.
///
/// Numbers follow `-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?` (no leading `+`, no bare `.5`
/// or `5.`, no `inf`/`nan`). A literal with neither fraction nor exponent that fits in
/// `Int64` is `.integer`; every other number (including integers too large for `Int64`)
/// is `.number` and always finite: a literal that overflows `Double` is a syntax error.
public enum FilterValue: Sendable, Hashable {
    case integer(Int64)
    case number(Double)
    case string(String)
    case bool(Bool)

    /// "a number", "a string", "a boolean": for type error messages.
    public var typeDescription: String {
        switch self {
        case .integer, .number: "a number"
        case .string: "a string"
        case .bool: "a boolean"
        }
    }
}

extension FilterExpression {
    /// Calls `body` on every condition, left to right.
    public func forEachCondition(_ body: (FilterCondition) throws -> Void) rethrows {
        switch self {
        case .and(let children), .or(let children):
            for child in children { try child.forEachCondition(body) }
        case .not(let child):
            try child.forEachCondition(body)
        case .condition(let condition):
            try body(condition)
        }
    }

    /// The distinct field paths the expression mentions.
    public var fields: Set<String> {
        var result: Set<String> = []
        forEachCondition { result.insert($0.field) }
        return result
    }
}
