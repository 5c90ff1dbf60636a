import AlmanacAuth
import AlmanacCache
import AlmanacCore
import AlmanacIndex
import AlmanacStore
import Hummingbird

extension EventRoutes {
    /// `GET /v1/events/search` and `POST /v1/events/aggregate`.
    func registerSearch(on group: RouterGroup<AppRequestContext>) {
        group.get("events/search") { request, context in
            let query = try QueryParameters(query: request.uri.query)
            var values: [String: JSONValue] = [:]
            for pair in query.pairs { values[pair.name] = .string(pair.value) }
            return try await search(RequestParameters(values: values), query: query, context: context)
        }
        group.post("events/aggregate") { request, context in
            try await aggregate(request, context)
        }
    }

    func search(_ parameters: RequestParameters, query: QueryParameters, context: AppRequestContext) async throws -> Response {
        let principal = try context.require(Scope.eventsRead)
        let limits = services.configuration.limits
        var requestLimits = EventSearchRequest.Limits()
        requestLimits.queryBytes = limits.queryBytes
        requestLimits.filterBytes = limits.filterBytes
        requestLimits.limitMax = limits.limitMax
        requestLimits.limitDefault = limits.limitDefault
        let request = try EventSearchRequest(parameters: parameters, limits: requestLimits)
        try await support.awaitMinSeq(query, services.eventWatermark)
        let tenant = principal.tenant
        let settings = services.tenants.settings(tenant)
        let key = try cacheKey("search", request.canonical, tenant: tenant)
        let searcher = services.events.searcher
        let (bytes, status) = try await services.cache.fetch(key: key, ttl: services.configuration.cacheTTLSeconds) {
            let result = try await searcher.search(request, tenant: tenant, settings: settings)
            return EventRendering.search(result, limit: request.limit)
        }
        services.metrics.cache(status.rawValue)
        let body = finishBody(bytes, tookMs: context.elapsedMilliseconds, cache: status.rawValue)
        return JSONResponse.make(body, headers: [(.almanacSeq, String(services.eventWatermark.value))])
    }

    func aggregate(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let principal = try context.require(Scope.eventsRead)
        let query = try QueryParameters(query: request.uri.query)
        try query.rejectUnknown(allowed: ["tenant", "min_seq"])
        var request = request
        let body = try await request.jsonBody(limit: services.configuration.limits.bodyBytes)
        let limits = services.configuration.limits
        var requestLimits = EventAggregateRequest.Limits()
        requestLimits.queryBytes = limits.queryBytes
        requestLimits.filterBytes = limits.filterBytes
        let aggregate = try EventAggregateRequest(json: body, limits: requestLimits)
        try await support.awaitMinSeq(query, services.eventWatermark)
        if let minSeq = aggregate.minSeq { try await support.awaitSeq(minSeq, services.eventWatermark) }
        let tenant = principal.tenant
        let settings = services.tenants.settings(tenant)
        let key = try cacheKey("aggregate", aggregate.canonical, tenant: tenant)
        let searcher = services.events.searcher
        let (bytes, status) = try await services.cache.fetch(key: key, ttl: services.configuration.cacheTTLSeconds) {
            let result = try await searcher.aggregate(aggregate, tenant: tenant, settings: settings)
            return EventRendering.aggregate(result)
        }
        services.metrics.cache(status.rawValue)
        let out = finishBody(bytes, tookMs: context.elapsedMilliseconds, cache: status.rawValue)
        return JSONResponse.make(out, headers: [(.almanacSeq, String(services.eventWatermark.value))])
    }

    /// `tenant | events | generation | sha256(kind, canonical request, settings, retention epoch)`.
    private func cacheKey(_ kind: String, _ canonical: String, tenant: String) throws -> String {
        let generation = services.tenants.generation("events", tenant: tenant)
        let digest = try SHA256.hash(
            kind + "\u{1F}" + canonical + "\u{1F}settings=\(services.tenants.settingsGeneration(tenant))\u{1F}epoch=\(services.events.epoch.current)")
        return CacheKey(tenant: tenant, collection: "events", generation: generation, digest: digest).rawValue
    }
}

/// Renders timeline answers without the closing brace (see `finishBody`).
enum EventRendering {
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
                w.int(b.count)
                if let keys = h.splitKeys {
                    w.comma()
                    w.key("split")
                    w.beginObject()
                    for (j, k) in keys.enumerated() {
                        w.key(k)
                        w.int(b.split[j])
                        w.comma()
                    }
                    w.key(HistogramResult.otherKey)
                    w.int(b.split.last ?? 0)
                    w.endObject()
                }
                w.endObject()
            }
            w.endArray()
            w.endObject()
        case .terms(let t):
            w.write([
                "buckets": .array(t.buckets.map { ["key": .string($0.key), "count": .int(Int64($0.count))] }),
                "other_count": .int(Int64(t.otherCount)), "missing_count": .int(Int64(t.missingCount)),
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
