/// What a filter field holds, and so which values and operators it takes.
///
/// | type | values | operators |
/// |---|---|---|
/// | `keyword` | strings, compared exactly (case-sensitive, byte for byte) | all, `IN`, ranges (bytewise order), `EXISTS` |
/// | `keywordList` | strings; the record holds a list and `=` means "has this one" | `=`, `!=`, `IN`, `EXISTS` |
/// | `categoryPath` | `"a/b"`: that category and everything under it, whole segments | `=`, `!=`, `IN`, `EXISTS` |
/// | `integer` | integral numbers (`10`, `1e3`; not `10.5`) | all, `IN`, ranges, `EXISTS` |
/// | `bool` | `true`, `false` | `=`, `!=`, `IN`, `EXISTS` |
/// | `time` | RFC 3339 strings, any offset | all, `IN`, ranges, `EXISTS` |
/// | `dynamic` | string, number or bool, decided by the value written | as for keyword, a number or bool |
public enum FilterFieldType: String, Sendable, Hashable, CaseIterable {
    case keyword
    case keywordList
    case categoryPath
    case integer
    case bool
    case time
    case dynamic

    /// What the type expects, for "price expects a number, got a string".
    public var expectation: String {
        switch self {
        case .keyword, .keywordList: "a string"
        case .categoryPath: "a category path string"
        case .integer: "a number"
        case .bool: "true or false"
        case .time: "an RFC 3339 time string"
        case .dynamic: "a string, a number or true/false"
        }
    }
}

/// The fields a collection can be filtered on, with their types.
///
/// Field names are case-sensitive dotted paths. A dynamic family (`attributes`) covers
/// every path `attributes.<name>` (with `<name>` itself possibly dotted, as flattened
/// event attributes are), typed by the value each condition uses.
public struct FilterSchema: Sendable, Hashable {
    /// A name for messages and logs ("products", "events").
    public var name: String
    public var fields: [String: FilterFieldType]
    /// Prefixes of dynamic families, without the dot: `["attributes"]`.
    public var dynamicPrefixes: [String]

    public init(name: String, fields: [String: FilterFieldType], dynamicPrefixes: [String] = []) {
        self.name = name
        self.fields = fields
        self.dynamicPrefixes = dynamicPrefixes
    }

    /// The type of a field path, or nil when the schema does not know it.
    public func fieldType(of field: String) -> FilterFieldType? {
        if let type = fields[field] { return type }
        for prefix in dynamicPrefixes
        where field.utf8.count > prefix.utf8.count + 1 && field.hasPrefix(prefix) {
            let dot = field.utf8.index(field.utf8.startIndex, offsetBy: prefix.utf8.count)
            if field.utf8[dot] == UInt8(ascii: ".") { return .dynamic }
        }
        return nil
    }

    /// "attributes.<name>, brand, category, ...": the known fields, sorted.
    public var fieldList: String {
        (fields.keys.map { $0 } + dynamicPrefixes.map { "\($0).<name>" }).sorted().joined(separator: ", ")
    }

    /// The catalogue (API.md, "Product fields").
    public static let products = FilterSchema(
        name: "products",
        fields: [
            "id": .keyword,
            "brand": .keyword,
            "category": .categoryPath,
            "price": .integer,
            "currency": .keyword,
            "in_stock": .bool,
            "tags": .keywordList,
            "created_at": .time,
            "updated_at": .time,
        ],
        dynamicPrefixes: ["attributes"]
    )

    /// The timeline (API.md, "Event fields").
    public static let events = FilterSchema(
        name: "events",
        fields: [
            "id": .keyword,
            "type": .keyword,
            "source": .keyword,
            "actor": .keyword,
            "severity": .keyword,
            "entity.type": .keyword,
            "entity.id": .keyword,
            "occurred_at": .time,
        ],
        dynamicPrefixes: ["attributes"]
    )
}
