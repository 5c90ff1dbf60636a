public import AlmanacCore
import Synchronization

/// The columnar copy of the timeline that aggregations without `q` read (docs/timeline.md
/// says why and what it costs): per tenant and UTC month, `occurred_at` as integers, the
/// keyword fields as dictionary codes, attributes as typed sparse columns.
///
/// It is a projection of the store like the Xapian months: loaded at start-up (every event
/// up to the indexer's resume point) from the per-month column files the indexer writes
/// after its commits (`EventColumnFile`), the months without a usable file from SQLite,
/// and appended to by the indexer as it applies later events, so it holds exactly the
/// events the index holds. Events never
/// change (an id is immutable), so a month only grows until retention drops it whole.
public final class EventColumnStore: Sendable {
    private let state = Mutex<[String: TenantColumns]>([:])

    public init() {}

    /// Appends events (the indexer, after each batch; the loader at start-up).
    public func append(_ rows: [(tenant: String, event: Event)]) {
        guard !rows.isEmpty else { return }
        state.withLock { tenants in
            var i = 0
            while i < rows.count {
                let tenant = rows[i].tenant
                var columns = tenants.removeValue(forKey: tenant) ?? TenantColumns()
                while i < rows.count, rows[i].tenant == tenant {
                    columns.append(rows[i].event)
                    i += 1
                }
                tenants[tenant] = columns
            }
        }
    }

    /// Appends stored events given as the JSON the store holds (start-up load): read
    /// straight from the parsed body, without re-running validation. Answers how many.
    @discardableResult
    public func append(storedBodies rows: [(tenant: String, body: String)], retainFrom: EventMonth? = nil) -> Int {
        var parsed: [(tenant: String, row: StoredRow)] = []
        parsed.reserveCapacity(rows.count)
        for (tenant, body) in rows {
            guard let row = StoredRow(body), retainFrom.map({ EventMonth(containing: row.time) >= $0 }) ?? true else { continue }
            parsed.append((tenant, row))
        }
        guard !parsed.isEmpty else { return 0 }
        state.withLock { tenants in
            var i = 0
            while i < parsed.count {
                let tenant = parsed[i].tenant
                var columns = tenants.removeValue(forKey: tenant) ?? TenantColumns()
                while i < parsed.count, parsed[i].tenant == tenant {
                    let r = parsed[i].row
                    columns.append(time: r.time, keywords: r.keywords, attributes: r.attributes)
                    i += 1
                }
                tenants[tenant] = columns
            }
        }
        return parsed.count
    }

    /// The column values of one stored event body.
    struct StoredRow {
        var time: Int64
        var keywords: [String?]
        var attributes: [(String, AttributeCell)]

        init?(_ body: String) {
            guard case .object(let o)? = try? JSONParser.parse(body) else { return nil }
            var keywords = [String?](repeating: nil, count: EventKeyword.allCases.count)
            var time: Int64?
            var attributes: [(String, AttributeCell)] = []
            for entry in o {
                switch entry.key {
                case "occurred_at": time = entry.value.stringValue.flatMap { try? Timestamp(rfc3339: $0).microseconds }
                case "type": keywords[EventKeyword.type.rawValue] = entry.value.stringValue
                case "source": keywords[EventKeyword.source.rawValue] = entry.value.stringValue
                case "actor": keywords[EventKeyword.actor.rawValue] = entry.value.stringValue
                case "severity": keywords[EventKeyword.severity.rawValue] = entry.value.stringValue
                case "entity":
                    keywords[EventKeyword.entityType.rawValue] = entry.value["type"]?.stringValue
                    keywords[EventKeyword.entityID.rawValue] = entry.value["id"]?.stringValue
                case "attributes":
                    if case .object(let a) = entry.value {
                        attributes.reserveCapacity(a.count)
                        for attribute in a { if let cell = AttributeCell(attribute.value) { attributes.append((attribute.key, cell)) } }
                    }
                default: break
                }
            }
            guard let time else { return nil }
            if keywords[EventKeyword.severity.rawValue] == nil { keywords[EventKeyword.severity.rawValue] = "info" }
            self.time = time
            self.keywords = keywords
            self.attributes = attributes
        }
    }

    /// The tenant's columns for the months overlapping `range` (a copy-on-write snapshot:
    /// later appends do not show through). Nil when the tenant has no events.
    public func snapshot(tenant: String, range: EventTimeRange) -> TenantColumns? {
        state.withLock { tenants in
            guard let columns = tenants[tenant] else { return nil }
            return columns.restricted(to: range)
        }
    }

    /// Forgets whole months (retention).
    public func drop(months: Set<EventMonth>) {
        guard !months.isEmpty else { return }
        state.withLock { tenants in
            for key in Array(tenants.keys) {
                var columns = tenants.removeValue(forKey: key)!
                for month in months { columns.months[month] = nil }
                tenants[key] = columns
            }
        }
    }

    public func removeAll() { state.withLock { $0.removeAll() } }

    /// Runs `body` on the tenants' columns under the lock (the column file's export and
    /// install); keep it short.
    func withTenants<T>(_ body: (inout [String: TenantColumns]) -> T) -> T {
        state.withLock { body(&$0) }
    }

    /// Events held, over all tenants.
    public var rowCount: Int {
        state.withLock { $0.values.reduce(0) { $0 + $1.rowCount } }
    }

    /// Approximate bytes held by the columns (for docs and `/metrics`).
    public var approximateBytes: Int {
        state.withLock { $0.values.reduce(0) { $0 + $1.approximateBytes } }
    }
}

/// The keyword fields kept as dictionary codes. `id` is kept only in the temporary columns
/// built from an index pass (the resident store would spend most of its memory on ids).
public enum EventKeyword: Int, CaseIterable, Sendable {
    case type, source, actor, severity, entityType, entityID, id

    public var field: String {
        switch self {
        case .type: "type"
        case .source: "source"
        case .actor: "actor"
        case .severity: "severity"
        case .entityType: "entity.type"
        case .entityID: "entity.id"
        case .id: "id"
        }
    }

    public init?(field: String) {
        guard let k = Self.allCases.first(where: { $0.field == field }) else { return nil }
        self = k
    }

    /// The Xapian value slot holding the field.
    var slot: UInt32 {
        switch self {
        case .type: EventSlot.type
        case .source: EventSlot.source
        case .actor: EventSlot.actor
        case .severity: EventSlot.severity
        case .entityType: EventSlot.entityType
        case .entityID: EventSlot.entityID
        case .id: EventSlot.id
        }
    }

    func value(of event: Event) -> String? {
        switch self {
        case .type: event.type
        case .source: event.source
        case .actor: event.actor
        case .severity: event.severity.rawValue
        case .entityType: event.entity?.type
        case .entityID: event.entity?.id
        case .id: event.id
        }
    }
}

/// A string compared and hashed byte for byte (API.md: no Unicode normalisation; Swift's
/// `String ==` would merge canonically equivalent spellings).
public struct ExactString: Hashable, Sendable {
    public let value: String
    public init(_ value: String) { self.value = value }

    public static func == (a: ExactString, b: ExactString) -> Bool { a.value.utf8.elementsEqual(b.value.utf8) }

    public func hash(into hasher: inout Hasher) {
        var s = value
        s.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
    }
}

/// Strings to dense codes; code 0 means "no value".
public struct StringDictionary: Sendable {
    public private(set) var values: [String] = [""]
    private var codes: [ExactString: UInt32] = [:]

    public init() {}

    public var count: Int { values.count }

    public mutating func code(_ s: String) -> UInt32 {
        let key = ExactString(s)
        if let c = codes[key] { return c }
        let c = UInt32(values.count)
        values.append(s)
        codes[key] = c
        return c
    }

    public func existingCode(_ s: String) -> UInt32? { codes[ExactString(s)] }
}

/// A typed attribute value as the columns keep it.
public enum AttributeCell: Sendable, Equatable {
    case string(String)
    case number(Double)
    case bool(Bool)

    init?(_ value: JSONValue) {
        switch value {
        case .string(let s): self = .string(s)
        case .int, .double: self = .number(value.numberValue!)
        case .bool(let b): self = .bool(b)
        default: return nil
        }
    }
}

/// One attribute in one chunk: each kind in its own array, shorter arrays mean "no value"
/// for the rows past their end.
public struct AttributeColumn: Sendable {
    /// NaN: no number in that row.
    public var numbers: [Double] = []
    /// 0: no string in that row (codes of `TenantColumns.attributeValues`).
    public var strings: [UInt32] = []
    /// 0: none, 1: false, 2: true.
    public var bools: [UInt8] = []

    @inline(__always) public func number(_ r: Int) -> Double? {
        r < numbers.count && !numbers[r].isNaN ? numbers[r] : nil
    }
    @inline(__always) public func string(_ r: Int) -> UInt32 { r < strings.count ? strings[r] : 0 }
    @inline(__always) public func bool(_ r: Int) -> UInt8 { r < bools.count ? bools[r] : 0 }
    @inline(__always) public func has(_ r: Int) -> Bool { number(r) != nil || string(r) != 0 || bool(r) != 0 }

    mutating func set(_ cell: AttributeCell, row r: Int, code: UInt32) {
        switch cell {
        case .number(let d):
            if numbers.count < r { numbers.append(contentsOf: repeatElement(.nan, count: r - numbers.count)) }
            numbers.append(d)
        case .string:
            if strings.count < r { strings.append(contentsOf: repeatElement(0, count: r - strings.count)) }
            strings.append(code)
        case .bool(let b):
            if bools.count < r { bools.append(contentsOf: repeatElement(0, count: r - bools.count)) }
            bools.append(b ? 2 : 1)
        }
    }
}

/// Up to `ColumnChunk.capacity` events of one month: appending copies at most one chunk
/// when a snapshot still shares it.
public struct ColumnChunk: Sendable {
    public static let capacity = 16_384

    public var time: [Int64] = []
    /// One code array per `EventKeyword` (the `id` array stays empty in the resident store).
    public var keywords: [[UInt32]] = Array(repeating: [], count: EventKeyword.allCases.count)
    /// By attribute id (`TenantColumns.attributeIDs`).
    public var attributes: [UInt32: AttributeColumn] = [:]

    public var count: Int { time.count }

    init() {
        time.reserveCapacity(1024)
    }
}

/// One tenant's columns: dictionaries shared by its months, and the months.
public struct TenantColumns: Sendable {
    public var keywordValues: [StringDictionary] = Array(repeating: StringDictionary(), count: EventKeyword.allCases.count)
    /// String values of every attribute.
    public var attributeValues = StringDictionary()
    public internal(set) var attributeIDs: [ExactString: UInt32] = [:]
    public internal(set) var attributeNames: [String] = []
    /// Per attribute id: kinds seen (1 number, 2 string, 4 bool).
    public internal(set) var attributeKinds: [UInt8] = []
    public var months: [EventMonth: [ColumnChunk]] = [:]
    /// Whether the `id` column is filled (temporary columns from an index pass).
    public var hasIDs = false

    public init() {}

    public var rowCount: Int { months.values.reduce(0) { $0 + $1.reduce(0) { $0 + $1.count } } }

    public var approximateBytes: Int {
        var n = 0
        for chunks in months.values {
            for c in chunks {
                n += c.time.count * 8 + c.keywords.reduce(0) { $0 + $1.count * 4 }
                for a in c.attributes.values { n += a.numbers.count * 8 + a.strings.count * 4 + a.bools.count }
            }
        }
        return n + keywordValues.reduce(0) { $0 + $1.values.reduce(0) { $0 + $1.utf8.count + 24 } }
    }

    public func attributeID(_ name: String) -> UInt32? { attributeIDs[ExactString(name)] }

    func restricted(to range: EventTimeRange) -> TenantColumns {
        var copy = self
        if range.from != nil || range.to != nil {
            copy.months = months.filter { $0.key.overlaps(range) }
        }
        return copy
    }

    mutating func attributeID(intern name: String) -> UInt32 {
        let key = ExactString(name)
        if let id = attributeIDs[key] { return id }
        let id = UInt32(attributeNames.count)
        attributeNames.append(name)
        attributeKinds.append(0)
        attributeIDs[key] = id
        return id
    }

    /// Appends one stored event to its month.
    mutating func append(_ event: Event) {
        var keywords: [String?] = EventKeyword.allCases.map { $0 == .id ? nil : $0.value(of: event) }
        if hasIDs { keywords[EventKeyword.id.rawValue] = event.id }
        var attributes: [(String, AttributeCell)] = []
        attributes.reserveCapacity(event.attributes.count)
        for entry in event.attributes {
            if let cell = AttributeCell(entry.value) { attributes.append((entry.key, cell)) }
        }
        append(time: event.occurredAt.microseconds, keywords: keywords, attributes: attributes)
    }

    /// Appends one row given as values: `keywords` indexed by `EventKeyword.rawValue`.
    public mutating func append(time: Int64, keywords: [String?], attributes: [(String, AttributeCell)]) {
        let month = EventMonth(containing: time)
        var chunks = months.removeValue(forKey: month) ?? []
        if chunks.isEmpty || chunks[chunks.count - 1].count >= ColumnChunk.capacity { chunks.append(ColumnChunk()) }
        var chunk = chunks.removeLast()
        let row = chunk.count
        chunk.time.append(time)
        for k in 0..<keywords.count {
            let code = keywords[k].map { keywordValues[k].code($0) } ?? 0
            if code != 0 || k != EventKeyword.id.rawValue || hasIDs { chunk.keywords[k].append(code) }
        }
        for (name, cell) in attributes {
            let id = attributeID(intern: name)
            var code: UInt32 = 0
            switch cell {
            case .string(let s):
                code = attributeValues.code(s)
                attributeKinds[Int(id)] |= 2
            case .number: attributeKinds[Int(id)] |= 1
            case .bool: attributeKinds[Int(id)] |= 4
            }
            chunk.attributes[id, default: AttributeColumn()].set(cell, row: row, code: code)
        }
        chunks.append(chunk)
        months[month] = chunks
    }

    /// Every chunk of the months overlapping `range`.
    public func chunks(overlapping range: EventTimeRange) -> [ColumnChunk] {
        months.filter { $0.key.overlaps(range) }.sorted { $0.key < $1.key }.flatMap(\.value)
    }
}
