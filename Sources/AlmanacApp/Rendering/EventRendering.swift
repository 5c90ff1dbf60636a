import AlmanacCore
import AlmanacIndex

/// Renders timeline answers without the closing brace (see `QueryAnswer.finished`).
enum EventRendering {
    /// An entity history page: stored rows as they are.
    static func history(_ rows: [String], total: Int, limit: Int, nextCursor: String?) -> [UInt8] {
        var w = JSONWriter(capacity: 1024 + rows.count * 512)
        w.beginObject()
        w.key("events")
        w.beginArray()
        for (i, row) in rows.enumerated() {
            if i > 0 { w.comma() }
            w.rawBytes(row.utf8)
        }
        w.endArray()
        w.comma()
        w.key("total")
        w.write(["value": .int(Int64(total)), "relation": "eq"])
        w.comma()
        w.key("page")
        w.write(["limit": .int(Int64(limit)), "next_cursor": nextCursor.map { .string($0) } ?? .null])
        return w.bytes
    }


    static func search(_ result: EventSearchResult, limit: Int) -> [UInt8] {
        var w = JSONWriter(capacity: 512 + result.events.reduce(0) { $0 + $1.count + 1 })
        w.beginObject()
        w.key("events")
        w.beginArray()
        for (i, event) in result.events.enumerated() {
            if i > 0 { w.comma() }
            w.rawBytes(event)
        }
        w.endArray()
        w.comma()
        w.key("total")
        w.write(["value": .int(Int64(result.total)), "relation": "eq"])
        w.comma()
        w.key("page")
        w.write(["limit": .int(Int64(limit)), "next_cursor": result.nextCursor.map { .string($0) } ?? .null])
        return w.bytes
    }

    static func aggregate(_ result: EventAggregateResult) -> [UInt8] {
        var w = JSONWriter(capacity: 4096)
        w.beginObject()
        w.key("total")
        w.int(result.total)
        w.comma()
        w.key("aggs")
        w.beginObject()
        for (i, entry) in result.results.enumerated() {
            if i > 0 { w.comma() }
            w.key(entry.name)
            write(entry.result, into: &w)
        }
        w.endObject()
        return w.bytes
    }

    static func number(_ d: Double?) -> JSONValue { d.map { .double($0) } ?? .null }

    static func write(_ result: AggregationResult, into w: inout JSONWriter) {
        switch result {
        case .dateHistogram(let h):
            w.beginObject()
            w.key("buckets")
            w.beginArray()
            for (i, b) in h.buckets.enumerated() {
                if i > 0 { w.comma() }
                w.beginObject()
                w.key("key")
                w.string(Timestamp(microseconds: b.key).rfc3339)
                w.comma()
                w.key("count")
                w.double(b.count)
                if let keys = h.splitKeys {
                    w.comma()
                    w.key("split")
                    w.beginObject()
                    for (j, k) in keys.enumerated() {
                        w.key(k)
                        w.double(b.split[j])
                        w.comma()
                    }
                    w.key(HistogramResult.otherKey)
                    w.double(b.split.last ?? 0)
                    w.endObject()
                }
                w.endObject()
            }
            w.endArray()
            w.endObject()
        case .terms(let t):
            w.write([
                "buckets": .array(t.buckets.map { ["key": .string($0.key), "count": .double($0.count)] }),
                "other_count": .double(t.otherCount), "missing_count": .double(t.missingCount),
            ])
        case .stats(let s):
            w.write([
                "count": .int(Int64(s.count)), "min": number(s.min), "max": number(s.max), "sum": .double(s.sum),
                "avg": number(s.avg),
            ])
        case .percentiles(let p):
            var values = JSONObject()
            for v in p.values { values[JSONWriter.string(.double(v.percent))] = number(v.value) }
            w.write(["values": .object(values), "approximate": .bool(p.approximate)])
        }
    }
}
