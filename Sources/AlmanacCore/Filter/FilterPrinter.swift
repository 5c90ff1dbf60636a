/// Prints a filter AST as canonical filter text.
///
/// Canonical form: keywords upper-case (`AND`, `OR`, `NOT`, `IN`, `TO`, `EXISTS`) and
/// `true`/`false` lower-case; single spaces; every `.and`/`.or` child of a compound node
/// (and every compound operand of `NOT`) wrapped in parentheses; strings double-quoted
/// with `"` and `\` escaped; integers in decimal; other numbers in Swift's shortest
/// round-tripping form (`0.5`, `1e+20`).
///
/// For any tree the parser produces, `FilterParser.parse(FilterPrinter.print(tree))`
/// returns an equal tree, and equal trees print equally (the text makes a good cache key).
/// A hand-built compound with one child prints as that child; an empty compound has no
/// spelling in the grammar and prints as `()`, which does not parse.
public enum FilterPrinter {
    public static func print(_ expression: FilterExpression) -> String {
        var out = ""
        write(expression, into: &out)
        return out
    }

    public static func print(_ condition: FilterCondition) -> String {
        var out = ""
        write(condition, into: &out)
        return out
    }

    public static func print(_ value: FilterValue) -> String {
        var out = ""
        write(value, into: &out)
        return out
    }

    private static func write(_ expression: FilterExpression, into out: inout String) {
        switch expression {
        case .and(let children):
            writeCompound(children, separator: " AND ", into: &out)
        case .or(let children):
            writeCompound(children, separator: " OR ", into: &out)
        case .not(let operand):
            out += "NOT "
            writeOperand(operand, into: &out)
        case .condition(let condition):
            write(condition, into: &out)
        }
    }

    private static func writeCompound(_ children: [FilterExpression], separator: String, into out: inout String) {
        if children.count == 1 {
            write(children[0], into: &out)
            return
        }
        if children.isEmpty { out += "()" }
        for (index, child) in children.enumerated() {
            if index > 0 { out += separator }
            writeOperand(child, into: &out)
        }
    }

    /// A child of a compound node or of NOT: compounds get parentheses.
    private static func writeOperand(_ expression: FilterExpression, into out: inout String) {
        switch expression {
        case .and(let children), .or(let children):
            if children.count == 1 {
                writeOperand(children[0], into: &out)
            } else {
                out += "("
                write(expression, into: &out)
                out += ")"
            }
        case .not, .condition:
            write(expression, into: &out)
        }
    }

    private static func write(_ condition: FilterCondition, into out: inout String) {
        out += condition.field
        switch condition.predicate {
        case .compare(let op, let value):
            out += " "
            out += op.rawValue
            out += " "
            write(value, into: &out)
        case .in(let values):
            out += " IN ["
            for (index, value) in values.enumerated() {
                if index > 0 { out += ", " }
                write(value, into: &out)
            }
            out += "]"
        case .range(let low, let high):
            out += " "
            write(low, into: &out)
            out += " TO "
            write(high, into: &out)
        case .exists:
            out += " EXISTS"
        }
    }

    private static func write(_ value: FilterValue, into out: inout String) {
        switch value {
        case .integer(let integer):
            out += String(integer)
        case .number(let number):
            out += formatNumber(number)
        case .string(let string):
            out += "\""
            for scalar in string.unicodeScalars {
                if scalar == "\"" || scalar == "\\" { out += "\\" }
                out.unicodeScalars.append(scalar)
            }
            out += "\""
        case .bool(let bool):
            out += bool ? "true" : "false"
        }
    }

    /// Shortest round-tripping text that the lexer reads back as `.number` (always with
    /// a fraction or an exponent). Non-finite values, which the parser never produces,
    /// print as out-of-range literals that do not parse.
    static func formatNumber(_ number: Double) -> String {
        if number.isNaN { return "nan" }
        if number.isInfinite { return number < 0 ? "-1e999" : "1e999" }
        let text = number.description
        if text.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }) { return text }
        return text + ".0"
    }
}

extension FilterExpression: CustomStringConvertible {
    /// The canonical filter text (see `FilterPrinter`).
    public var description: String { FilterPrinter.print(self) }
}

extension FilterCondition: CustomStringConvertible {
    public var description: String { FilterPrinter.print(self) }
}

extension FilterValue: CustomStringConvertible {
    public var description: String { FilterPrinter.print(self) }
}
