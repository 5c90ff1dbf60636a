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
        case .exists:
            return !recordValues.isEmpty
        case .compare(.equal, let value):
            return recordValues.contains { Self.equals($0, value) }
        case .compare(.notEqual, let value):
            let comparable = recordValues.filter { $0.ordered(against: value) != nil }
            return !comparable.isEmpty && !comparable.contains { Self.equals($0, value) }
        case .compare(let op, let value):
            return recordValues.contains { record in
                guard let order = record.ordered(against: value) else { return false }
                switch op {
                case .less: return order == .less
                case .lessOrEqual: return order != .greater
                case .greater: return order == .greater
                case .greaterOrEqual: return order != .less
                case .equal, .notEqual: return false
                }
            }
        case .in(let values):
            return recordValues.contains { record in values.contains { Self.equals(record, $0) } }
        case .range(let low, let high):
            return recordValues.contains { record in
                guard let fromLow = record.ordered(against: low), let toHigh = record.ordered(against: high) else { return false }
                return fromLow != .less && toHigh != .greater
            }
        }
    }

    /// Equality as filters mean it: category paths match their whole subtree.
    private static func equals(_ record: TypedValue, _ value: TypedValue) -> Bool {
        if case .categoryPath(let path) = record, case .categoryPath(let prefix) = value {
            return path.count >= prefix.count && zip(path, prefix).allSatisfy { TypedValue.compareBytes($0, $1) == .equal }
        }
        return record.ordered(against: value) == .equal
    }
}
