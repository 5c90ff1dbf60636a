import AlmanacCore

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
        var doc = IndexDocument(uniqueTerm: Terms.unique(tenant: tenant, id: product.id))
        doc.addBoolean(Terms.keyword(Terms.tenant, tenant))
        doc.addBoolean(Terms.keyword(Terms.id, product.id))
        doc.data = json
        doc.values[ProductSlot.id] = Array(product.id.utf8)

        func exists(_ field: String) { doc.addBoolean(Terms.keyword(Terms.exists, field)) }
        exists("id")
        exists("title")
        exists("created_at")
        exists("updated_at")

        var position: UInt32 = 1
        position = doc.indexText(product.title, startingAt: position, wdf: Self.titleWeight, fieldPrefix: Terms.titleText, stemmer: stemmer)
        doc.values[ProductSlot.title] = Array(product.title.lowercased().utf8.prefix(200))
        if let brand = product.brand {
            exists("brand")
            doc.addBoolean(Terms.keyword(Terms.brand, brand))
            doc.values[ProductSlot.brand] = Array(brand.utf8)
            position = doc.indexText(brand, startingAt: position, wdf: Self.brandWeight, fieldPrefix: Terms.brandText, stemmer: stemmer)
        }
        if let description = product.description {
            exists("description")
            position = doc.indexText(description, startingAt: position, wdf: Self.descriptionWeight, fieldPrefix: nil, stemmer: stemmer)
        }
        if let path = product.categoryPath {
            exists("category")
            for prefix in product.categoryPrefixes { doc.addBoolean(Terms.keyword(Terms.category, prefix)) }
            doc.values[ProductSlot.category] = Array(path.utf8)
        }
        if let price = product.price {
            exists("price")
            doc.values[ProductSlot.price] = Sortable.serialise(Double(price))
        }
        if let currency = product.currency {
            exists("currency")
            doc.addBoolean(Terms.keyword(Terms.currency, currency))
            doc.values[ProductSlot.currency] = Array(currency.utf8)
        }
        if let inStock = product.inStock {
            exists("in_stock")
            doc.addBoolean(Terms.keyword(Terms.inStock, inStock ? "true" : "false"))
            doc.values[ProductSlot.inStock] = Array((inStock ? "true" : "false").utf8)
        }
        if let tags = product.tags, !tags.isEmpty {
            exists("tags")
            for tag in tags { doc.addBoolean(Terms.keyword(Terms.tag, tag)) }
            doc.values[ProductSlot.tags] = MultiValue.encode(tags.map { Array($0.utf8) })
        }
        if let attributes = product.attributes, !attributes.isEmpty {
            exists("attributes")
            var facetValues: [[UInt8]] = []
            for entry in attributes {
                exists("attributes." + entry.key)
                guard let text = SlotValue.attributeText(entry.value) else { continue }
                doc.addBoolean(Terms.attributeTerm(entry.key, text))
                facetValues.append(Array((entry.key + Terms.attributeSeparator + text).utf8))
                if let slot = slots?.slot(for: entry.key), let encoded = SlotValue.attribute(entry.value) {
                    doc.values[slot] = encoded
                }
            }
            doc.values[ProductSlot.attributes] = MultiValue.encode(facetValues)
        }
        doc.values[ProductSlot.createdAt] = SlotValue.time(product.createdAt)
        doc.values[ProductSlot.updatedAt] = SlotValue.time(product.updatedAt)
        _ = position
        return doc
    }
}
