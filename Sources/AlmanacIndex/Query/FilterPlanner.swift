import AlmanacCore

/// Plans a checked filter into a boolean Xapian query: keyword fields as boolean terms,
/// categories as path-prefix terms, numbers and times as `sortable_serialise` value ranges,
/// attributes through their terms and their registered slots.
struct FilterPlanner {
    struct Field {
        /// Boolean term prefix for equality.
        var prefix: String?
        /// Value slot for ordering and ranges.
        var slot: UInt32?
    }

    let fields: [String: Field]
    let slots: SlotRegistry?

    static let products = FilterPlanner(
        fields: [
            "id": Field(prefix: Terms.id, slot: ProductSlot.id),
            "brand": Field(prefix: Terms.brand, slot: ProductSlot.brand),
            "category": Field(prefix: Terms.category, slot: nil),
            "price": Field(prefix: nil, slot: ProductSlot.price),
            "currency": Field(prefix: Terms.currency, slot: ProductSlot.currency),
            "in_stock": Field(prefix: Terms.inStock, slot: nil),
            "tags": Field(prefix: Terms.tag, slot: nil),
            "created_at": Field(prefix: nil, slot: ProductSlot.createdAt),
            "updated_at": Field(prefix: nil, slot: ProductSlot.updatedAt),
        ], slots: nil)

    static let events = FilterPlanner(
        fields: [
            "id": Field(prefix: Terms.id, slot: EventSlot.id),
            "type": Field(prefix: Terms.type, slot: EventSlot.type),
            "source": Field(prefix: Terms.source, slot: EventSlot.source),
            "actor": Field(prefix: Terms.actor, slot: EventSlot.actor),
            "severity": Field(prefix: Terms.severity, slot: EventSlot.severity),
            "entity.type": Field(prefix: Terms.entityType, slot: EventSlot.entityType),
            "entity.id": Field(prefix: Terms.entityID, slot: EventSlot.entityID),
            "occurred_at": Field(prefix: nil, slot: EventSlot.occurredAt),
        ], slots: nil)

    func with(slots: SlotRegistry?) -> FilterPlanner { FilterPlanner(fields: fields, slots: slots) }

    func plan(_ filter: TypedFilter) throws -> XapianQuery {
        switch filter {
        case .and(let children): return try .and(children.map(plan))
        case .or(let children): return try .or(children.map(plan))
        case .not(let inner): return try .andNot(.matchAll(), plan(inner))
        case .condition(let condition): return try plan(condition)
        }
    }

    private func exists(_ field: String) throws -> XapianQuery {
        try .term(Terms.keyword(Terms.exists, field))
    }

    func plan(_ c: TypedCondition) throws -> XapianQuery {
        switch c.predicate {
        case .exists:
            return try exists(c.field)
        case .in(let values):
            let parts = try values.map { try equal(c, $0) }
            return parts.count == 1 ? parts[0] : try .or(parts)
        case .compare(.equal, let v):
            return try equal(c, v)
        case .compare(.notEqual, let v):
            return try .andNot(exists(c.field), equal(c, v))
        case .compare(let op, let v):
            return try ordered(c, op, v)
        case .range(let lo, let hi):
            guard let slot = try slot(for: c, kind: lo), let l = encode(lo, c), let h = encode(hi, c) else {
                return try unsupportedOrdering(c)
            }
            return try .valueRange(slot: slot, from: l, to: h)
        }
    }

    private func equal(_ c: TypedCondition, _ v: TypedValue) throws -> XapianQuery {
        if c.type == .dynamic {
            let name = String(c.field.dropFirst("attributes.".count))
            let text: String
            switch v {
            case .string(let s): text = s
            case .bool(let b): text = b ? "true" : "false"
            case .number(let d): text = JSONWriter.string(.double(d))
            case .integer(let i): text = String(i)
            default: return .matchNothing()
            }
            return try .term(Terms.attributeTerm(name, text))
        }
        let field = fields[c.field]
        switch v {
        case .string(let s):
            guard let prefix = field?.prefix else { return .matchNothing() }
            return try .term(Terms.keyword(prefix, s))
        case .bool(let b):
            guard let prefix = field?.prefix else { return .matchNothing() }
            return try .term(Terms.keyword(prefix, b ? "true" : "false"))
        case .categoryPath(let segments):
            return try .term(Terms.keyword(Terms.category, segments.joined(separator: "/")))
        case .integer, .number, .time:
            guard let slot = field?.slot, let e = encode(v, c) else { return .matchNothing() }
            return try .valueRange(slot: slot, from: e, to: e)
        }
    }

    private func ordered(_ c: TypedCondition, _ op: FilterOperator, _ v: TypedValue) throws -> XapianQuery {
        guard let slot = try slot(for: c, kind: v) else { return try unsupportedOrdering(c) }
        // Integral values (prices, microsecond times) make strict bounds inclusive ones.
        var bound = v
        switch (op, v) {
        case (.less, .integer(let i)): bound = .integer(i - 1)
        case (.greater, .integer(let i)): bound = .integer(i + 1)
        case (.less, .time(let t)): bound = .time(Timestamp(microseconds: t.microseconds - 1))
        case (.greater, .time(let t)): bound = .time(Timestamp(microseconds: t.microseconds + 1))
        default: break
        }
        guard let e = encode(bound, c), let exact = encode(v, c) else { return try unsupportedOrdering(c) }
        let strict = bound == v
        switch op {
        case .less, .lessOrEqual:
            let q = try XapianQuery.valueLE(slot: slot, e)
            return op == .less && strict ? try .andNot(q, .valueRange(slot: slot, from: exact, to: exact)) : q
        case .greater, .greaterOrEqual:
            let q = try XapianQuery.valueGE(slot: slot, e)
            return op == .greater && strict ? try .andNot(q, .valueRange(slot: slot, from: exact, to: exact)) : q
        default:
            return try equal(c, v)
        }
    }

    private func unsupportedOrdering(_ c: TypedCondition) throws -> XapianQuery {
        throw AlmanacError(.invalidFilter, "\(c.field) supports =, !=, IN and EXISTS only, at position \(c.position)")
    }

    /// The slot ordering on `c` uses, or nil when the field has none.
    private func slot(for c: TypedCondition, kind v: TypedValue) throws -> UInt32? {
        if c.type == .dynamic {
            let name = String(c.field.dropFirst("attributes.".count))
            // An attribute never seen has no slot: nothing can match.
            return slots?.existingSlot(for: name) ?? UInt32.max
        }
        return fields[c.field]?.slot
    }

    /// The slot encoding of a value (attribute slots carry a type tag).
    private func encode(_ v: TypedValue, _ c: TypedCondition) -> [UInt8]? {
        if c.type == .dynamic {
            switch v {
            case .string(let s): return [AttributeValue.stringTag] + Array(s.utf8)
            case .number(let d): return [AttributeValue.numberTag] + Sortable.serialise(d)
            case .integer(let i): return [AttributeValue.numberTag] + Sortable.serialise(Double(i))
            default: return nil
            }
        }
        switch v {
        case .integer(let i): return Sortable.serialise(Double(i))
        case .time(let t): return Sortable.serialise(Double(t.microseconds))
        case .string(let s): return Array(s.utf8)
        case .number, .bool, .categoryPath: return nil
        }
    }
}
