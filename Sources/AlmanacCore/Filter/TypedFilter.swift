/// A filter checked against a `FilterSchema`: every field is known and every value is
/// converted to the field's type. This is what the index planner consumes.
///
/// The tree has the same shape as the `FilterExpression` it came from.
public indirect enum TypedFilter: Sendable, Hashable {
    case and([TypedFilter])
    case or([TypedFilter])
    case not(TypedFilter)
    case condition(TypedCondition)
}

/// One checked condition.
///
/// Semantics (API.md): a condition on a field the record lacks is false, `EXISTS` aside,
/// and `NOT` negates that. For a field with several values (`tags`), `=`, `IN`, ordering
/// and ranges hold when any value satisfies them, `!=` when the record has values and
/// none is equal. For `categoryPath`, equality is subtree membership: the record's path
/// equals the value's segments or starts with them (`.categoryPath(["main", "lib"])`
/// matches `main/lib` and `main/lib/x`, never `main/libs`).
/// For `dynamic` fields the kind of the values (`.string`, `.number`, `.bool`) says which
/// of the record's values are comparable at all; values of another kind count as absent.
public struct TypedCondition: Sendable, Hashable {
    /// The dotted field path (`price`, `attributes.arch`).
    public var field: String
    /// The field's declared type; `.dynamic` for `attributes.<name>`.
    public var type: FilterFieldType
    public var predicate: TypedPredicate
    /// 1-based character position of the field in the filter text (not part of equality).
    public var position: Int

    public init(field: String, type: FilterFieldType, predicate: TypedPredicate, position: Int = 1) {
        self.field = field
        self.type = type
        self.predicate = predicate
        self.position = position
    }

    public static func == (lhs: TypedCondition, rhs: TypedCondition) -> Bool {
        lhs.field == rhs.field && lhs.type == rhs.type && lhs.predicate == rhs.predicate
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(field)
        hasher.combine(type)
        hasher.combine(predicate)
    }

    /// The kind of value the condition compares with: `.string`, `.number`... for a dynamic
    /// field this is decided by the values written; nil for `EXISTS`.
    public var valueKind: TypedValue.Kind? {
        switch predicate {
        case .compare(_, let value), .range(let value, _): value.kind
        case .in(let values): values.first?.kind
        case .exists: nil
        }
    }
}

public enum TypedPredicate: Sendable, Hashable {
    case compare(FilterOperator, TypedValue)
    /// Any of the values (never empty, all of one kind).
    case `in`([TypedValue])
    /// Inclusive at both ends, low <= high, both of one kind.
    case range(TypedValue, TypedValue)
    case exists
}

/// A filter value converted for its field.
public enum TypedValue: Sendable, Hashable {
    /// `keyword` and `keywordList` fields, and dynamic fields given a string.
    case string(String)
    /// `integer` fields.
    case integer(Int64)
    /// Dynamic fields given a number (integers included: attribute numbers compare as
    /// `Double`s, exactly up to 2^53).
    case number(Double)
    case bool(Bool)
    /// `time` fields.
    case time(Timestamp)
    /// `categoryPath` fields: 1-8 non-empty segments; matches that subtree.
    case categoryPath([String])

    public enum Kind: Sendable, Hashable {
        case string, integer, number, bool, time, categoryPath
    }

    public var kind: Kind {
        switch self {
        case .string: .string
        case .integer: .integer
        case .number: .number
        case .bool: .bool
        case .time: .time
        case .categoryPath: .categoryPath
        }
    }
}

extension TypedFilter {
    /// Calls `body` on every condition, left to right.
    public func forEachCondition(_ body: (TypedCondition) throws -> Void) rethrows {
        switch self {
        case .and(let children), .or(let children):
            for child in children { try child.forEachCondition(body) }
        case .not(let child):
            try child.forEachCondition(body)
        case .condition(let condition):
            try body(condition)
        }
    }

    /// The distinct field paths the filter mentions.
    public var fields: Set<String> {
        var result: Set<String> = []
        forEachCondition { result.insert($0.field) }
        return result
    }
}
