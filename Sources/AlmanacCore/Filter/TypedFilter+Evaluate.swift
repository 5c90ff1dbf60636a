extension TypedFilter {
    /// Evaluates the filter against one record, in memory: the reference semantics the
    /// index planner must agree with (and an oracle for its tests).
    ///
    /// `values(field)` answers the record's values for a field path, `[]` when it lacks
    /// the field: one value for single-valued fields, every tag for `tags`, the segments
    /// as `.categoryPath` for `category`, times as `.time`, attribute numbers as
    /// `.integer` or `.number`.
    public func matches(_ values: (String) -> [TypedValue]) -> Bool {
        switch self {
        case .and(let children): children.allSatisfy { $0.matches(values) }
        case .or(let children): children.contains { $0.matches(values) }
        case .not(let child): !child.matches(values)
        case .condition(let condition): condition.matches(values(condition.field))
        }
    }
}

extension TypedCondition {
    /// Whether a record holding `recordValues` for this field (`[]` when it lacks it)
    /// satisfies the condition. Values of a kind the condition cannot compare with (a
    /// string attribute against a number) count as absent.
    public func matches(_ recordValues: [TypedValue]) -> Bool {
        switch predicate {
        case .compare(.notEqual, let value):
            // Holds when the record has comparable values and none is equal.
            let comparable = recordValues.filter { $0.ordered(against: value) != nil }
            return !comparable.isEmpty && comparable.allSatisfy { matches(value: $0) }
        default:
            // Every other predicate holds when any value satisfies it (`EXISTS`: any value).
            return recordValues.contains { matches(value: $0) }
        }
    }

    /// Whether a record holding exactly `value` for this field satisfies the condition:
    /// the one definition of what each predicate means, which `matches(_:)` extends to
    /// lists and the timeline's column filter compiles (it runs per row there, so it is
    /// inlinable).
    @inlinable
    public func matches(value v: TypedValue) -> Bool {
        switch predicate {
        case .exists:
            return true
        case .compare(let op, let x):
            guard let order = v.ordered(against: x) else { return false }
            switch op {
            case .equal: return Self.equals(v, x, order)
            case .notEqual: return !Self.equals(v, x, order)
            case .less: return order == .less
            case .lessOrEqual: return order != .greater
            case .greater: return order == .greater
            case .greaterOrEqual: return order != .less
            }
        case .in(let values):
            return values.contains { x in v.ordered(against: x).map { Self.equals(v, x, $0) } ?? false }
        case .range(let low, let high):
            guard let fromLow = v.ordered(against: low), let toHigh = v.ordered(against: high) else { return false }
            return fromLow != .less && toHigh != .greater
        }
    }

    /// Equality as filters mean it, given the values' order: category paths match their
    /// whole subtree.
    @inlinable
    static func equals(_ record: TypedValue, _ value: TypedValue, _ order: TypedValueOrder) -> Bool {
        if case .categoryPath(let path) = record, case .categoryPath(let prefix) = value {
            return path.count >= prefix.count && zip(path, prefix).allSatisfy { TypedValue.compareBytes($0, $1) == .equal }
        }
        return order == .equal
    }
}
