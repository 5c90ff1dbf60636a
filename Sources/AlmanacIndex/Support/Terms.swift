import AlmanacCore

/// Term prefixes and value slots: the one place that says how records become Xapian
/// documents (Omega's convention: `Q` for the unique id, `X..` for boolean fields,
/// `Z` for stemmed forms). Changing anything here needs a reindex.
public enum Terms {
    public static let unique = "Q"
    public static let tenant = "XT:"
    public static let id = "XI:"
    public static let exists = "XE:"
    public static let attribute = "XA:"
    /// Separates an attribute name from its value in `XA:` terms and facet values.
    public static let attributeSeparator = "\u{1F}"

    // Products
    public static let brand = "XB:"
    public static let category = "XC:"
    public static let tag = "XG:"
    public static let currency = "XY:"
    public static let inStock = "XK:"

    // Events
    public static let type = "XP:"
    public static let source = "XS:"
    public static let actor = "XR:"
    public static let severity = "XV:"
    public static let entityType = "XN:"
    public static let entityID = "XM:"

    // Free text: unprefixed words in every field, plus field-prefixed copies for `title:`/`brand:`.
    public static let titleText = "S"
    public static let brandText = "A"
    public static let stemmed = "Z"
    /// Products: the id's words (`N` + "rafkill data" for `rafkill-data`), one scored term
    /// per document for the exactness rule (docs/relevance.md).
    public static let name = "N"
    /// Products: two adjacent title words (`B` + "web server"), for the proximity rule.
    public static let titlePair = "B"

    public static func titlePairTerm(_ a: String, _ b: String) -> String { keyword(titlePair, a + " " + b) }

    /// Xapian's term length limit is 245 bytes; longer keyword values are hashed.
    static let maxTermBytes = 240

    /// A boolean term for a keyword value, hashing values too long for a term.
    public static func keyword(_ prefix: String, _ value: String) -> String {
        let term = prefix + value
        if term.utf8.count <= maxTermBytes { return term }
        return prefix + "\u{0}#" + Hex.encode(FNV1a64.hash(value))
    }

    public static func unique(tenant: String, id: String) -> String {
        keyword(unique, tenant + "\u{1F}" + id)
    }

    public static func attributeTerm(_ name: String, _ value: String) -> String {
        keyword(attribute, name + attributeSeparator + value)
    }
}

/// Value slots of product documents.
public enum ProductSlot {
    public static let id: UInt32 = 0
    public static let price: UInt32 = 1
    public static let createdAt: UInt32 = 2
    public static let updatedAt: UInt32 = 3
    public static let title: UInt32 = 4
    public static let brand: UInt32 = 5
    public static let category: UInt32 = 6
    public static let tags: UInt32 = 7
    public static let currency: UInt32 = 8
    public static let inStock: UInt32 = 9
    /// Every attribute as `name \u{1F} value` (multi-value), for attribute facets.
    public static let attributes: UInt32 = 10
}

/// Value slots of event documents.
public enum EventSlot {
    public static let id: UInt32 = 0
    public static let occurredAt: UInt32 = 1
    public static let type: UInt32 = 2
    public static let source: UInt32 = 3
    public static let actor: UInt32 = 4
    public static let severity: UInt32 = 5
    public static let entityType: UInt32 = 6
    public static let entityID: UInt32 = 7
    public static let attributes: UInt32 = 10
}

/// Attribute values in their per-name slots carry a type tag so one slot can hold any type
/// and ranges of one type never match values of another.
public enum AttributeValue {
    public static let stringTag: UInt8 = UInt8(ascii: "s")
    public static let numberTag: UInt8 = UInt8(ascii: "n")
    public static let boolTag: UInt8 = UInt8(ascii: "b")
    /// Slots at and above this number are assigned to attribute names by `SlotRegistry`.
    public static let firstDynamicSlot: UInt32 = 1000
}
