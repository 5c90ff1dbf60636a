import AlmanacCore

/// A checked filter compiled against one tenant's columns: `TypedFilter.matches` (the
/// reference the Xapian planner also follows) in the form the aggregation hot path needs.
/// `AND`, `OR` and `NOT` combine masks a chunk at a time; keyword conditions become tables
/// over dictionary codes, built once per query; time and attribute values are tested row
/// by row with `TypedCondition.matches(value:)`, the one definition of each predicate (an
/// event holds one value per field). A condition on a field the event lacks is false,
/// `EXISTS` aside, and `NOT` negates that.
indirect enum ColumnFilter: Sendable {
    case and([ColumnFilter])
    case or([ColumnFilter])
    case not(ColumnFilter)
    /// `table[code]`: whether a row with that code (0: no value) matches.
    case keyword(column: Int, table: [Bool])
    case time(TypedCondition)
    case attribute(id: UInt32?, condition: TypedCondition, codes: Set<UInt32>?)
    case constant(Bool)

    /// Fields the columns cannot evaluate (the caller then asks the index).
    static func unsupportedFields(_ filter: TypedFilter) -> Set<String> {
        filter.fields.filter { $0 == "id" }
    }

    init(_ filter: TypedFilter, columns: TenantColumns) {
        switch filter {
        case .and(let children): self = .and(children.map { ColumnFilter($0, columns: columns) })
        case .or(let children): self = .or(children.map { ColumnFilter($0, columns: columns) })
        case .not(let child): self = .not(ColumnFilter(child, columns: columns))
        case .condition(let c): self = ColumnFilter(condition: c, columns: columns)
        }
    }

    private init(condition c: TypedCondition, columns: TenantColumns) {
        if c.field == "occurred_at" {
            self = .time(c)
            return
        }
        if let keyword = EventKeyword(field: c.field) {
            let dictionary = columns.keywordValues[keyword.rawValue]
            var table = [Bool](repeating: false, count: dictionary.count)
            switch c.predicate {
            case .exists:
                table = [Bool](repeating: true, count: dictionary.count)
                table[0] = false
            case .compare(.equal, .string(let s)):
                if let code = dictionary.existingCode(s) { table[Int(code)] = true }
            case .in(let values):
                for case .string(let s) in values { if let code = dictionary.existingCode(s) { table[Int(code)] = true } }
            case .compare(.notEqual, .string(let s)):
                table = [Bool](repeating: true, count: dictionary.count)
                table[0] = false
                if let code = dictionary.existingCode(s) { table[Int(code)] = false }
            default:
                for code in 1..<max(1, dictionary.count) {
                    table[code] = c.matches(value: .string(dictionary.values[code]))
                }
            }
            self = .keyword(column: keyword.rawValue, table: table)
            return
        }
        guard c.type == .dynamic else {
            self = .constant(false)
            return
        }
        let name = String(c.field.dropFirst("attributes.".count))
        var codes: Set<UInt32>?
        switch c.predicate {
        case .compare(.equal, .string(let s)), .compare(.notEqual, .string(let s)):
            codes = Set([columns.attributeValues.existingCode(s)].compactMap { $0 })
        case .in(let values) where values.first?.kind == .string:
            codes = Set(values.compactMap { if case .string(let s) = $0 { columns.attributeValues.existingCode(s) } else { nil } })
        default: break
        }
        self = .attribute(id: columns.attributeID(name), condition: c, codes: codes)
    }

    /// Rows of `columns` in `range` that match (a filtered count without `q`).
    func count(_ columns: TenantColumns, range: EventTimeRange) -> Int {
        let from = range.from ?? .min, to = range.to ?? .max
        var total = 0
        for chunk in columns.chunks(overlapping: range) {
            let mask = evaluate(chunk, columns: columns)
            let time = chunk.time
            for r in 0..<chunk.count where mask[r] && time[r] >= from && time[r] < to { total += 1 }
        }
        return total
    }

    /// The rows of `chunk` that match.
    func evaluate(_ chunk: ColumnChunk, columns: TenantColumns) -> [Bool] {
        let n = chunk.count
        switch self {
        case .constant(let v):
            return [Bool](repeating: v, count: n)
        case .and(let children):
            var mask = [Bool](repeating: true, count: n)
            for child in children {
                let m = child.evaluate(chunk, columns: columns)
                for r in 0..<n where !m[r] { mask[r] = false }
            }
            return mask
        case .or(let children):
            var mask = [Bool](repeating: false, count: n)
            for child in children {
                let m = child.evaluate(chunk, columns: columns)
                for r in 0..<n where m[r] { mask[r] = true }
            }
            return mask
        case .not(let child):
            return child.evaluate(chunk, columns: columns).map { !$0 }
        case .keyword(let column, let table):
            let codes = chunk.keywords[column]
            var mask = [Bool](repeating: table.first ?? false, count: n)
            for r in 0..<min(n, codes.count) { mask[r] = table[Int(codes[r])] }
            return mask
        case .time(let c):
            return chunk.time.map { c.matches(value: .time(Timestamp(microseconds: $0))) }
        case .attribute(let id, let c, let codes):
            guard let id, let column = chunk.attributes[id] else {
                return [Bool](repeating: false, count: n)
            }
            var mask = [Bool](repeating: false, count: n)
            if let test = NumericTest(c.predicate), column.strings.isEmpty, column.bools.isEmpty {
                // Numbers only (the common case): one comparison a row, no `TypedValue`.
                test.fill(&mask, column.numbers)
                return mask
            }
            for r in 0..<n {
                if let x = column.number(r) {
                    mask[r] = c.matches(value: .number(x))
                } else if case let code = column.string(r), code != 0 {
                    if let codes {
                        if case .compare(.notEqual, _) = c.predicate {
                            mask[r] = !codes.contains(code)
                        } else {
                            mask[r] = codes.contains(code)
                        }
                    } else {
                        mask[r] = c.matches(value: .string(columns.attributeValues.values[Int(code)]))
                    }
                } else if case let b = column.bool(r), b != 0 {
                    mask[r] = c.matches(value: .bool(b == 2))
                }
            }
            return mask
        }
    }
}

/// A comparison of numbers with a number literal, evaluated on `Double`s directly: exactly
/// what `TypedCondition.matches` answers for a number (NaN, "no number", never matches),
/// for literals a `Double` holds exactly (integers up to 2^53).
struct NumericTest {
    let op: FilterOperator?
    let low: Double
    let high: Double

    init?(_ predicate: TypedPredicate) {
        switch predicate {
        case .compare(let op, let x):
            guard let v = Self.exact(x) else { return nil }
            (self.op, low, high) = (op, v, v)
        case .range(let a, let b):
            guard let lo = Self.exact(a), let hi = Self.exact(b) else { return nil }
            (op, low, high) = (nil, lo, hi)
        default: return nil
        }
    }

    private static func exact(_ v: TypedValue) -> Double? {
        switch v {
        case .number(let d): d.isNaN ? nil : d
        case .integer(let i): i.magnitude <= 1 << 53 ? Double(i) : nil
        default: nil
        }
    }

    /// Sets `mask[r]` for the rows whose number passes; rows past `numbers` stay false.
    func fill(_ mask: inout [Bool], _ numbers: [Double]) {
        let (lo, hi) = (low, high)
        mask.withUnsafeMutableBufferPointer { m in
            numbers.withUnsafeBufferPointer { x in
                let n = min(m.count, x.count)
                switch op {
                case nil: for r in 0..<n { m[r] = x[r] >= lo && x[r] <= hi }
                case .equal: for r in 0..<n { m[r] = x[r] == lo }
                case .notEqual: for r in 0..<n { m[r] = !x[r].isNaN && x[r] != lo }
                case .less: for r in 0..<n { m[r] = x[r] < lo }
                case .lessOrEqual: for r in 0..<n { m[r] = x[r] <= lo }
                case .greater: for r in 0..<n { m[r] = x[r] > lo }
                case .greaterOrEqual: for r in 0..<n { m[r] = x[r] >= lo }
                }
            }
        }
    }
}
