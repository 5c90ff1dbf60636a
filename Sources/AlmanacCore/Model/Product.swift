/// A catalogue product as stored and returned (API.md, "Catalogue").
public struct Product: Sendable, Equatable {
    public var id: String
    public var title: String
    public var description: String?
    public var brand: String?
    public var category: [String]?
    /// Minor units (cents).
    public var price: Int64?
    public var currency: String?
    public var inStock: Bool?
    public var tags: [String]?
    public var attributes: JSONObject?
    public var createdAt: Timestamp
    public var updatedAt: Timestamp
    public var version: Int64

    public init(
        id: String, title: String, description: String? = nil, brand: String? = nil, category: [String]? = nil,
        price: Int64? = nil, currency: String? = nil, inStock: Bool? = nil, tags: [String]? = nil,
        attributes: JSONObject? = nil, createdAt: Timestamp, updatedAt: Timestamp, version: Int64
    ) {
        self.id = id
        self.title = title
        self.description = description
        self.brand = brand
        self.category = category
        self.price = price
        self.currency = currency
        self.inStock = inStock
        self.tags = tags
        self.attributes = attributes
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.version = version
    }

    /// The category path joined with `/` (`main/libs`), or nil without a category.
    public var categoryPath: String? {
        guard let category, !category.isEmpty else { return nil }
        return category.joined(separator: "/")
    }

    /// Every prefix of the category path (`main`, `main/libs`), for "this category and below" filters.
    public var categoryPrefixes: [String] {
        guard let category, !category.isEmpty else { return [] }
        var out: [String] = []
        var path = ""
        for segment in category {
            path = path.isEmpty ? segment : path + "/" + segment
            out.append(path)
        }
        return out
    }

    /// Field names in their output order; also the set of fields a client may send.
    public static let fieldNames = [
        "id", "title", "description", "brand", "category", "price", "currency", "in_stock", "tags", "attributes",
        "created_at", "updated_at", "version",
    ]

    /// The product as a JSON object, fields in the contract's order, absent ones omitted.
    public var json: JSONValue {
        var o = JSONObject()
        o["id"] = .string(id)
        o["title"] = .string(title)
        if let description { o["description"] = .string(description) }
        if let brand { o["brand"] = .string(brand) }
        if let category { o["category"] = .array(category.map { .string($0) }) }
        if let price { o["price"] = .int(price) }
        if let currency { o["currency"] = .string(currency) }
        if let inStock { o["in_stock"] = .bool(inStock) }
        if let tags { o["tags"] = .array(tags.map { .string($0) }) }
        if let attributes { o["attributes"] = .object(attributes) }
        o["created_at"] = .string(createdAt.rfc3339)
        o["updated_at"] = .string(updatedAt.rfc3339)
        o["version"] = .int(version)
        return .object(o)
    }

    /// Compact JSON bytes of `json`.
    public var jsonBytes: [UInt8] { JSONWriter.encode(json) }

    /// Names of the client-visible fields whose values differ between two versions.
    public func changedFields(from old: Product) -> [String] {
        var changed: [String] = []
        if title != old.title { changed.append("title") }
        if description != old.description { changed.append("description") }
        if brand != old.brand { changed.append("brand") }
        if category != old.category { changed.append("category") }
        if price != old.price { changed.append("price") }
        if currency != old.currency { changed.append("currency") }
        if inStock != old.inStock { changed.append("in_stock") }
        if tags != old.tags { changed.append("tags") }
        if attributes != old.attributes { changed.append("attributes") }
        if createdAt != old.createdAt { changed.append("created_at") }
        return changed
    }
}
