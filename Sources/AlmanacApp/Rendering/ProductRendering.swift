import AlmanacCore
import AlmanacIndex

/// Renders search answers as JSON bytes without the closing brace: the cache stores these
/// bytes, and `QueryAnswer.finished` appends `took_ms` and `cache` per response.
enum ProductRendering {
    /// `prefix` goes before the JSON (the `SearchFacts` header the cache keeps with it).
    static func search(_ result: ProductSearchResult, request: ProductSearchRequest, prefix: [UInt8] = []) -> [UInt8] {
        var w = JSONWriter(capacity: 4096 + prefix.count + result.hits.count * 1024)
        w.rawBytes(prefix)
        w.beginObject()
        w.key("hits")
        w.beginArray()
        for (i, hit) in result.hits.enumerated() {
            if i > 0 { w.comma() }
            w.beginObject()
            w.key("id")
            w.string(hit.id)
            w.comma()
            w.key("score")
            w.double((hit.score * 10_000).rounded() / 10_000)
            w.comma()
            w.key("product")
            w.rawBytes(hit.productJSON)
            if request.highlight {
                w.comma()
                w.key("highlight")
                var o = JSONObject()
                if let t = hit.highlightTitle { o["title"] = .string(t) }
                if let d = hit.highlightDescription { o["description"] = .string(d) }
                w.write(.object(o))
            }
            w.endObject()
        }
        w.endArray()
        w.comma()
        w.key("total")
        w.write(["value": .int(Int64(result.total)), "relation": .string(result.totalIsExact ? "eq" : "gte")])
        if !result.facets.isEmpty || result.priceBuckets != nil {
            w.comma()
            w.key("facets")
            var facets = JSONObject()
            for facet in result.facets {
                facets[facet.name] = .array(facet.buckets.map { ["value": facetValue(facet.name, $0.value), "count": .int(Int64($0.count))] })
            }
            if let price = result.priceBuckets {
                facets["price"] = .array(
                    price.map { b in
                        var o = JSONObject()
                        o["from"] = b.from.map { .int($0) } ?? .null
                        o["to"] = b.to.map { .int($0) } ?? .null
                        o["count"] = .int(Int64(b.count))
                        return .object(o)
                    })
            }
            w.write(.object(facets))
        }
        w.comma()
        w.key("query")
        var q = JSONObject()
        q["q"] = request.q.map { .string($0) } ?? .null
        if let corrected = result.corrected { q["corrected"] = .string(corrected) }
        w.write(.object(q))
        w.comma()
        w.key("page")
        var page = JSONObject()
        page["limit"] = .int(Int64(request.limit))
        page["offset"] = .int(Int64(request.offset))
        page["next_cursor"] = result.nextCursor.map { .string($0) } ?? .null
        w.write(.object(page))
        return w.bytes
    }

    /// `in_stock` facet values are booleans in JSON; everything else is a string.
    static func facetValue(_ facet: String, _ value: String) -> JSONValue {
        if facet == "in_stock" { return .bool(value == "true") }
        return .string(value)
    }
}
