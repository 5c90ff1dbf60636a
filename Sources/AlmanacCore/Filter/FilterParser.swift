/// Recursive-descent parser for the filter language (API.md, "Filter language"):
///
/// ```
/// filter     := or
/// or         := and ("OR" and)*
/// and        := not ("AND" not)*
/// not        := "NOT" not | "(" filter ")" | condition
/// condition  := field op value | field "IN" "[" value ("," value)* "]"
///             | field value "TO" value | field "EXISTS"
/// ```
///
/// Safe on any input: recursion happens only through `NOT` and `(`, both counted against
/// `Limits.maxDepth`, so deep nesting is an error rather than a stack overflow; the number
/// of conditions and of `IN` values is bounded too. The byte length limit (4 KiB by
/// default) is the caller's to check before parsing.
public struct FilterParser: Sendable {
    public struct Limits: Sendable, Hashable {
        /// How many `NOT`s and parentheses may enclose one another.
        public var maxDepth: Int
        /// How many conditions one filter may hold.
        public var maxConditions: Int
        /// How many values one `IN` list may hold.
        public var maxListValues: Int

        public init(maxDepth: Int = 32, maxConditions: Int = 1024, maxListValues: Int = 1024) {
            self.maxDepth = maxDepth
            self.maxConditions = maxConditions
            self.maxListValues = maxListValues
        }

        public static let `default` = Limits()
    }

    private var lexer: FilterLexer
    private var token: FilterToken
    private let limits: Limits
    private var depth = 0
    private var conditionCount = 0

    private init(_ text: String, limits: Limits) throws(AlmanacError) {
        lexer = FilterLexer(text)
        self.limits = limits
        token = try lexer.next()
    }

    /// Parses a whole filter. Throws `AlmanacError(.invalidFilter, ...)` whose detail
    /// names the problem and its 1-based character position.
    public static func parse(_ text: String, limits: Limits = .default) throws(AlmanacError) -> FilterExpression {
        var parser = try FilterParser(text, limits: limits)
        if parser.token.kind == .end {
            throw FilterLexer.error("empty filter")
        }
        let expression = try parser.parseOr()
        guard parser.token.kind == .end else {
            throw parser.unexpected("expected AND, OR or the end of the filter")
        }
        return expression
    }

    // MARK: - Grammar

    private mutating func advance() throws(AlmanacError) {
        token = try lexer.next()
    }

    private func isKeyword(_ keyword: FilterKeyword) -> Bool {
        token.kind == .keyword(keyword)
    }

    private mutating func parseOr() throws(AlmanacError) -> FilterExpression {
        var children = [try parseAnd()]
        while isKeyword(.or) {
            try advance()
            children.append(try parseAnd())
        }
        return children.count == 1 ? children[0] : .or(children)
    }

    private mutating func parseAnd() throws(AlmanacError) -> FilterExpression {
        var children = [try parseNot()]
        while isKeyword(.and) {
            try advance()
            children.append(try parseNot())
        }
        return children.count == 1 ? children[0] : .and(children)
    }

    private mutating func parseNot() throws(AlmanacError) -> FilterExpression {
        switch token.kind {
        case .keyword(.not):
            try enter()
            try advance()
            let operand = try parseNot()
            depth -= 1
            return .not(operand)
        case .leftParen:
            let open = token
            try enter()
            try advance()
            if token.kind == .rightParen {
                throw FilterLexer.error("empty parentheses at position \(open.position)")
            }
            let inner = try parseOr()
            guard token.kind == .rightParen else {
                if token.kind == .end {
                    throw FilterLexer.error("unclosed '(' at position \(open.position)")
                }
                throw unexpected("expected ')' to close the '(' at position \(open.position)")
            }
            try advance()
            depth -= 1
            return inner
        case .name(let field):
            return .condition(try parseCondition(field: field))
        default:
            throw unexpected("expected a condition")
        }
    }

    private mutating func enter() throws(AlmanacError) {
        depth += 1
        if depth > limits.maxDepth {
            throw FilterLexer.error("filter nests deeper than \(limits.maxDepth) levels at position \(token.position)")
        }
    }

    private mutating func parseCondition(field: String) throws(AlmanacError) -> FilterCondition {
        let fieldToken = token
        conditionCount += 1
        if conditionCount > limits.maxConditions {
            throw FilterLexer.error("filter has more than \(limits.maxConditions) conditions (at position \(fieldToken.position))")
        }
        try advance()
        switch token.kind {
        case .op(let op):
            try advance()
            let (value, position) = try parseValue(after: "'\(op.rawValue)'")
            return FilterCondition(field: field, predicate: .compare(op, value), position: fieldToken.position, valuePositions: [position])
        case .keyword(.in):
            let inToken = token
            try advance()
            guard token.kind == .leftBracket else {
                throw unexpected("expected '[' after IN at position \(inToken.position)")
            }
            let open = token
            try advance()
            if token.kind == .rightBracket {
                throw FilterLexer.error("empty IN list at position \(open.position)")
            }
            var values: [FilterValue] = []
            var positions: [Int] = []
            while true {
                let (value, position) = try parseValue(after: values.isEmpty ? "'['" : "','")
                values.append(value)
                positions.append(position)
                if values.count > limits.maxListValues {
                    throw FilterLexer.error("IN list has more than \(limits.maxListValues) values (at position \(position))")
                }
                if token.kind == .comma {
                    try advance()
                    continue
                }
                if token.kind == .rightBracket {
                    try advance()
                    break
                }
                if token.kind == .end {
                    throw FilterLexer.error("unclosed IN list: '[' at position \(open.position) has no ']'")
                }
                throw unexpected("expected ',' or ']' in the IN list")
            }
            return FilterCondition(field: field, predicate: .in(values), position: fieldToken.position, valuePositions: positions)
        case .keyword(.exists):
            try advance()
            return FilterCondition(field: field, predicate: .exists, position: fieldToken.position)
        case .number, .string, .keyword(.true), .keyword(.false):
            let (low, lowPosition) = try parseValue(after: "'\(field)'")
            guard isKeyword(.to) else {
                throw unexpected("expected TO after the value at position \(lowPosition) (a range is written 'field low TO high')")
            }
            try advance()
            let (high, highPosition) = try parseValue(after: "TO")
            return FilterCondition(field: field, predicate: .range(low, high), position: fieldToken.position, valuePositions: [lowPosition, highPosition])
        default:
            throw unexpected("expected an operator (= != < <= > >=), IN, EXISTS or a range after '\(field)'")
        }
    }

    /// A value token, or an error "expected a value after <what> at position N".
    private mutating func parseValue(after what: String) throws(AlmanacError) -> (FilterValue, Int) {
        let position = token.position
        let value: FilterValue
        switch token.kind {
        case .number(let number): value = number
        case .string(let string): value = .string(string)
        case .keyword(.true): value = .bool(true)
        case .keyword(.false): value = .bool(false)
        case .name:
            throw FilterLexer.error(
                "expected a value after \(what) at position \(position), got \(lexer.describe(token)); strings must be double-quoted"
            )
        case .end:
            throw FilterLexer.error("expected a value after \(what) at position \(position) (the end of the filter)")
        default:
            throw FilterLexer.error("expected a value after \(what) at position \(position), got \(lexer.describe(token))")
        }
        try advance()
        return (value, position)
    }

    /// "unexpected 'OR' at position 1; <hint>" or "unexpected end of filter ...".
    private func unexpected(_ hint: String) -> AlmanacError {
        if token.kind == .end {
            return FilterLexer.error("unexpected end of filter at position \(token.position); \(hint)")
        }
        return FilterLexer.error("unexpected \(lexer.describe(token)) at position \(token.position); \(hint)")
    }
}
