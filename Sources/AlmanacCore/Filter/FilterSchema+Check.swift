extension FilterSchema {
    /// Parses and type-checks filter text in one step.
    public func parse(_ text: String, limits: FilterParser.Limits = .default) throws(AlmanacError) -> TypedFilter {
        try check(FilterParser.parse(text, limits: limits))
    }

    /// Checks a parsed filter against the schema and converts its values: time strings to
    /// `Timestamp`s, category paths to segments, numbers on integer fields to `Int64`
    /// (rejecting fractions), numbers on dynamic fields to `Double`.
    ///
    /// Errors are `AlmanacError(.invalidFilter, ...)` naming the field and position:
    /// `unknown field 'colour' at position 1; fields are: ...`,
    /// `price expects a number, got a string at position 9`,
    /// `in_stock does not support '<' at position 1 (it takes =, !=, IN and EXISTS)`.
    public func check(_ expression: FilterExpression) throws(AlmanacError) -> TypedFilter {
        switch expression {
        case .and(let children):
            var typed: [TypedFilter] = []
            typed.reserveCapacity(children.count)
            for child in children { typed.append(try check(child)) }
            return .and(typed)
        case .or(let children):
            var typed: [TypedFilter] = []
            typed.reserveCapacity(children.count)
            for child in children { typed.append(try check(child)) }
            return .or(typed)
        case .not(let child):
            return .not(try check(child))
        case .condition(let condition):
            return .condition(try check(condition))
        }
    }

    public func check(_ condition: FilterCondition) throws(AlmanacError) -> TypedCondition {
        let field = condition.field
        guard let type = fieldType(of: field) else {
            throw Self.error("unknown field '\(field)' at position \(condition.position); fields are: \(fieldList)")
        }
        let predicate: TypedPredicate
        switch condition.predicate {
        case .exists:
            predicate = .exists
        case .compare(let op, let value):
            let typed = try convert(value, for: field, type, at: condition.valuePosition(0))
            if op.isOrdering, !Self.supportsOrdering(type, typed.kind) {
                throw Self.error("\(field) does not support '\(op.rawValue)' at position \(condition.position) (\(Self.supportedOperators(type, typed.kind)))")
            }
            predicate = .compare(op, typed)
        case .in(let values):
            var typed: [TypedValue] = []
            typed.reserveCapacity(values.count)
            for (index, value) in values.enumerated() {
                let converted = try convert(value, for: field, type, at: condition.valuePosition(index))
                if let first = typed.first, first.kind != converted.kind {
                    throw Self.error(
                        "IN list of \(field) mixes \(describe(first.kind)) and \(describe(converted.kind)) at position \(condition.valuePosition(index)); the values must be of one type"
                    )
                }
                typed.append(converted)
            }
            predicate = .in(typed)
        case .range(let lowValue, let highValue):
            let low = try convert(lowValue, for: field, type, at: condition.valuePosition(0))
            let high = try convert(highValue, for: field, type, at: condition.valuePosition(1))
            guard low.kind == high.kind else {
                throw Self.error("range of \(field) mixes \(describe(low.kind)) and \(describe(high.kind)) at position \(condition.valuePosition(1)); both ends must be of one type")
            }
            guard Self.supportsOrdering(type, low.kind) else {
                throw Self.error("\(field) does not support ranges at position \(condition.position) (\(Self.supportedOperators(type, low.kind)))")
            }
            if let order = low.ordered(against: high), order == .greater {
                throw Self.error("empty range at position \(condition.valuePosition(0)): \(lowValue) is greater than \(highValue)")
            }
            predicate = .range(low, high)
        }
        return TypedCondition(field: field, type: type, predicate: predicate, position: condition.position)
    }

    // MARK: - Values

    private func convert(_ value: FilterValue, for field: String, _ type: FilterFieldType, at position: Int) throws(AlmanacError) -> TypedValue {
        func mismatch() -> AlmanacError {
            Self.error("\(field) expects \(type.expectation), got \(value.typeDescription) at position \(position)")
        }
        switch type {
        case .keyword, .keywordList:
            guard case .string(let string) = value else { throw mismatch() }
            return .string(string)
        case .categoryPath:
            guard case .string(let string) = value else { throw mismatch() }
            let segments = string.split(separator: "/", omittingEmptySubsequences: false)
            guard !segments.isEmpty, segments.count <= 8, segments.allSatisfy({ !$0.isEmpty }) else {
                throw Self.error(
                    "\(field) expects a path of 1 to 8 non-empty segments separated by '/' such as \"main/libs\", got \(value) at position \(position)"
                )
            }
            return .categoryPath(segments.map(String.init))
        case .integer:
            switch value {
            case .integer(let integer):
                return .integer(integer)
            case .number(let number):
                guard number.rounded(.towardZero) == number else {
                    throw Self.error("\(field) expects an integer, got \(value) at position \(position)")
                }
                // Int64(exactly:) is nil outside Int64's range (2^63 itself included).
                guard let integer = Int64(exactly: number) else {
                    throw Self.error("\(field) value \(value) at position \(position) is out of range")
                }
                return .integer(integer)
            case .string, .bool:
                throw mismatch()
            }
        case .bool:
            guard case .bool(let bool) = value else { throw mismatch() }
            return .bool(bool)
        case .time:
            guard case .string(let string) = value else { throw mismatch() }
            guard let time = try? Timestamp(rfc3339: string) else {
                throw Self.error(
                    "\(field) expects an RFC 3339 time such as \"2024-01-02T03:04:05Z\", got \(value) at position \(position)"
                )
            }
            return .time(time)
        case .dynamic:
            switch value {
            case .string(let string): return .string(string)
            case .integer(let integer): return .number(Double(integer))
            case .number(let number): return .number(number)
            case .bool(let bool): return .bool(bool)
            }
        }
    }

    private func describe(_ kind: TypedValue.Kind) -> String {
        switch kind {
        case .string, .categoryPath, .time: "a string"
        case .integer, .number: "a number"
        case .bool: "a boolean"
        }
    }

    /// Whether `<`, `<=`, `>`, `>=` and ranges apply.
    private static func supportsOrdering(_ type: FilterFieldType, _ kind: TypedValue.Kind) -> Bool {
        switch type {
        case .keyword, .integer, .time: true
        case .keywordList, .categoryPath, .bool: false
        case .dynamic: kind != .bool
        }
    }

    private static func supportedOperators(_ type: FilterFieldType, _ kind: TypedValue.Kind) -> String {
        switch type {
        case .bool: "true/false fields take =, !=, IN and EXISTS"
        case .keywordList: "list fields take =, !=, IN and EXISTS"
        case .categoryPath: "category paths take =, !=, IN and EXISTS"
        case .dynamic where kind == .bool: "true/false values take =, !=, IN and EXISTS"
        default: "it takes =, !=, <, <=, >, >=, IN, ranges and EXISTS"
        }
    }

    static func error(_ detail: String) -> AlmanacError {
        AlmanacError(.invalidFilter, detail)
    }
}

extension TypedValue {
    /// The order of two values of one kind (strings bytewise, category paths by segments);
    /// nil when the kinds are not comparable. `.integer` and `.number` compare numerically.
    public func ordered(against other: TypedValue) -> TypedValueOrder? {
        func order<T: Comparable>(_ a: T, _ b: T) -> TypedValueOrder {
            a < b ? .less : (a == b ? .equal : .greater)
        }
        switch (self, other) {
        case (.string(let a), .string(let b)):
            return Self.compareBytes(a, b)
        case (.integer(let a), .integer(let b)):
            return order(a, b)
        case (.number(let a), .number(let b)):
            return a.isNaN || b.isNaN ? nil : order(a, b)
        case (.integer(let a), .number(let b)):
            return b.isNaN ? nil : Self.compare(a, b)
        case (.number(let a), .integer(let b)):
            return a.isNaN ? nil : Self.compare(b, a).reversed
        case (.bool(let a), .bool(let b)):
            return a == b ? .equal : (!a ? .less : .greater)
        case (.time(let a), .time(let b)):
            return order(a, b)
        case (.categoryPath(let a), .categoryPath(let b)):
            for (x, y) in zip(a, b) {
                let segment = Self.compareBytes(x, y)
                if segment != .equal { return segment }
            }
            return order(a.count, b.count)
        default:
            return nil
        }
    }

    /// Byte-for-byte comparison of the UTF-8 encodings (no Unicode normalisation, unlike
    /// `String`'s `<`).
    @usableFromInline
    static func compareBytes(_ a: String, _ b: String) -> TypedValueOrder {
        var a = a.utf8.makeIterator()
        var b = b.utf8.makeIterator()
        while true {
            switch (a.next(), b.next()) {
            case (nil, nil): return .equal
            case (nil, _): return .less
            case (_, nil): return .greater
            case (let x?, let y?):
                if x != y { return x < y ? .less : .greater }
            }
        }
    }

    /// Exact comparison of an integer with a double.
    static func compare(_ a: Int64, _ b: Double) -> TypedValueOrder {
        if b >= 9_223_372_036_854_775_808.0 { return .less }
        if b < -9_223_372_036_854_775_808.0 { return .greater }
        let truncated = b.rounded(.towardZero)
        let whole = Int64(truncated)
        if a != whole { return a < whole ? .less : .greater }
        if truncated == b { return .equal }
        return b > truncated ? .less : .greater
    }
}

/// The result of comparing two typed values.
public enum TypedValueOrder: Sendable, Hashable {
    case less, equal, greater

    var reversed: TypedValueOrder {
        switch self {
        case .less: .greater
        case .equal: .equal
        case .greater: .less
        }
    }
}
