public import AlmanacCore

/// How a product becomes a search document (see `Terms` and `ProductSlot`).
public struct ProductProjection {
    public var slots: SlotRegistry?

    public init(slots: SlotRegistry? = nil) { self.slots = slots }

    /// Title words count three times, brand words twice, description words once: the
    /// document-side weighting that ranks a title match above a brand or description match.
    public static let titleWeight: UInt32 = 3
    public static let brandWeight: UInt32 = 2
    public static let descriptionWeight: UInt32 = 1

    public func document(tenant: String, product: Product, json: [UInt8], stemmer: some Stemming) -> IndexDocument {
        var doc = IndexDocument(tenant: tenant, id: product.id, json: json)
        doc.values[ProductSlot.id] = Array(product.id.utf8)

        doc.addExists("id")
        doc.addExists("title")
        doc.addExists("created_at")
        doc.addExists("updated_at")

        var position: UInt32 = 1
        position = doc.indexText(product.title, startingAt: position, wdf: Self.titleWeight, fieldPrefix: Terms.titleText, stemmer: stemmer)
        doc.values[ProductSlot.title] = Array(product.title.lowercased().utf8.prefix(200))
        if let brand = product.brand {
            doc.addExists("brand")
            doc.addBoolean(Terms.keyword(Terms.brand, brand))
            doc.values[ProductSlot.brand] = Array(brand.utf8)
            position = doc.indexText(brand, startingAt: position, wdf: Self.brandWeight, fieldPrefix: Terms.brandText, stemmer: stemmer)
        }
        if let description = product.description {
            doc.addExists("description")
            position = doc.indexText(description, startingAt: position, wdf: Self.descriptionWeight, fieldPrefix: nil, stemmer: stemmer)
        }
        if let path = product.categoryPath {
            doc.addExists("category")
            for prefix in product.categoryPrefixes { doc.addBoolean(Terms.keyword(Terms.category, prefix)) }
            doc.values[ProductSlot.category] = Array(path.utf8)
        }
        if let price = product.price {
            doc.addExists("price")
            doc.values[ProductSlot.price] = Sortable.serialise(Double(price))
        }
        if let currency = product.currency {
            doc.addExists("currency")
            doc.addBoolean(Terms.keyword(Terms.currency, currency))
            doc.values[ProductSlot.currency] = Array(currency.utf8)
        }
        if let inStock = product.inStock {
            doc.addExists("in_stock")
            doc.addBoolean(Terms.keyword(Terms.inStock, inStock ? "true" : "false"))
            doc.values[ProductSlot.inStock] = Array((inStock ? "true" : "false").utf8)
        }
        if let tags = product.tags, !tags.isEmpty {
            doc.addExists("tags")
            for tag in tags { doc.addBoolean(Terms.keyword(Terms.tag, tag)) }
            doc.values[ProductSlot.tags] = MultiValue.encode(tags.map { Array($0.utf8) })
        }
        if let attributes = product.attributes, !attributes.isEmpty {
            doc.addAttributes(attributes, slots: slots, facetSlot: ProductSlot.attributes)
        }
        doc.values[ProductSlot.createdAt] = SlotValue.time(product.createdAt)
        doc.values[ProductSlot.updatedAt] = SlotValue.time(product.updatedAt)
        _ = position
        return doc
    }
}
