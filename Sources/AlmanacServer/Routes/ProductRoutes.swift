import AlmanacAuth
import AlmanacCache
import AlmanacCore
import AlmanacIndex
import AlmanacStore
import HTTPTypes
import Hummingbird
import NIOCore

/// The catalogue: `/v1/products...`.
struct ProductRoutes {
    let services: AlmanacServices
    let support: RouteSupport

    func register(on group: RouterGroup<AppRequestContext>) {
        group.get("products/search") { request, context in
            let query = try QueryParameters(query: request.uri.query)
            var values: [String: JSONValue] = [:]
            for pair in query.pairs { values[pair.name] = .string(pair.value) }
            return try await search(RequestParameters(values: values), query: query, context: context)
        }
        group.post("products/search") { request, context in
            let query = try QueryParameters(query: request.uri.query)
            try query.rejectUnknown(allowed: ["tenant", "min_seq"])
            var request = request
            let body = try await request.jsonBody(limit: services.configuration.limits.bodyBytes)
            let parameters = try RequestParameters(json: body)
            var merged = query
            if let minSeq = try parameters.int("min_seq") { merged = QueryParameters(pairs: query.pairs.map { ($0.name, $0.value) } + [("min_seq", String(minSeq))]) }
            return try await search(parameters, query: merged, context: context)
        }
        group.post("products/_bulk") { request, context in
            try await bulk(request, context)
        }
        group.get("products/{id}") { request, context in
            let principal = try context.require(Scope.catalogueRead)
            let query = try QueryParameters(query: request.uri.query)
            try query.rejectUnknown(allowed: ["tenant", "min_seq"])
            let id = try context.pathParameter("id")
            guard let json = try await services.store.productJSON(tenant: principal.tenant, id: id) else {
                throw AlmanacError.notFound("no product '\(id.prefix(128))'")
            }
            return JSONResponse.make(Array(json.utf8))
        }
        group.put("products/{id}") { request, context in
            let writer = try support.writer(context, scope: Scope.catalogueWrite)
            let query = try QueryParameters(query: request.uri.query)
            try query.rejectUnknown(allowed: ["tenant", "wait"])
            let id = try context.pathParameter("id")
            let ifMatch = try request.ifMatchVersion()
            var request = request
            let body = try await request.jsonBody(limit: services.configuration.limits.bodyBytes)
            let draft = try ProductValidator().validate(body, pathID: id)
            let result = try await services.store.putProduct(draft, ifMatch: ifMatch, context: writer)
            let headers = try await support.afterWrite(seq: result.seq, query: query, watermark: services.productWatermark)
            return JSONResponse.make(
                ["id": .string(result.id), "version": .int(result.version), "seq": .int(result.seq)],
                status: result.created ? .created : .ok, headers: headers + [(.eTag, "\"\(result.version)\"")])
        }
        group.patch("products/{id}") { request, context in
            let writer = try support.writer(context, scope: Scope.catalogueWrite)
            let query = try QueryParameters(query: request.uri.query)
            try query.rejectUnknown(allowed: ["tenant", "wait"])
            let id = try context.pathParameter("id")
            let ifMatch = try request.ifMatchVersion()
            var request = request
            let patch = try await request.jsonBody(limit: services.configuration.limits.bodyBytes)
            let result = try await services.store.patchProduct(
                id: id, patch: patch, ifMatch: ifMatch, validator: ProductValidator(), context: writer)
            let headers = try await support.afterWrite(seq: result.seq, query: query, watermark: services.productWatermark)
            return JSONResponse.make(
                ["id": .string(result.id), "version": .int(result.version), "seq": .int(result.seq)],
                headers: headers + [(.eTag, "\"\(result.version)\"")])
        }
        group.delete("products/{id}") { request, context in
            let writer = try support.writer(context, scope: Scope.catalogueWrite)
            let query = try QueryParameters(query: request.uri.query)
            try query.rejectUnknown(allowed: ["tenant", "wait"])
            let id = try context.pathParameter("id")
            let ifMatch = try request.ifMatchVersion()
            let result = try await services.store.deleteProduct(id: id, ifMatch: ifMatch, context: writer)
            let headers = try await support.afterWrite(seq: result.seq, query: query, watermark: services.productWatermark)
            return JSONResponse.make(["id": .string(result.id), "seq": .int(result.seq)], headers: headers)
        }
    }

    func search(_ parameters: RequestParameters, query: QueryParameters, context: AppRequestContext) async throws -> Response {
        let principal = try context.require(Scope.catalogueRead)
        let limits = services.configuration.limits
        var requestLimits = ProductSearchRequest.Limits()
        requestLimits.queryBytes = limits.queryBytes
        requestLimits.filterBytes = limits.filterBytes
        requestLimits.limitMax = limits.limitMax
        requestLimits.windowMax = limits.windowMax
        requestLimits.facetLimitMax = limits.facetLimitMax
        let request = try ProductSearchRequest(parameters: parameters, limits: requestLimits)
        try await support.awaitMinSeq(query, services.productWatermark)
        let tenant = principal.tenant
        let settings = services.tenants.settings(tenant)
        let generation = services.tenants.generation("products", tenant: tenant)
        let digest = try SHA256.hash(request.canonical + "\u{1F}settings=\(services.tenants.settingsGeneration(tenant))")
        let key = CacheKey(tenant: tenant, collection: "products", generation: generation, digest: digest)
        let searcher = services.productSearcher
        let (bytes, status) = try await services.cache.fetch(key: key.rawValue, ttl: services.configuration.cacheTTLSeconds) {
            let result = try await searcher.search(request, tenant: tenant, settings: settings)
            return SearchRendering.products(result, request: request)
        }
        services.metrics.cache(status.rawValue)
        let body = finishBody(bytes, tookMs: context.elapsedMilliseconds, cache: status.rawValue)
        return JSONResponse.make(body, headers: [(.almanacSeq, String(services.productWatermark.value))])
    }

    func bulk(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let writer = try support.writer(context, scope: Scope.catalogueWrite)
        let query = try QueryParameters(query: request.uri.query)
        try query.rejectUnknown(allowed: ["tenant", "wait"])
        let limits = services.configuration.limits
        let validator = ProductValidator()
        var drafts: [String: (Int, ProductValidator.Draft)] = [:]
        var order: [String] = []
        var rejected: [BulkRejection] = []
        var validLines = 0
        try await NDJSONReader.forEachLine(of: request, maxBytes: limits.bulkBodyBytes, maxLines: limits.bulkLines) { number, line in
            let value: JSONValue
            do { value = try JSONParser.parse(line) } catch {
                rejected.append(BulkRejection(line: number, id: nil, error: "malformed JSON: \(error)"))
                return
            }
            do {
                let draft = try validator.validate(value, pathID: nil)
                validLines += 1
                if drafts[draft.id] == nil { order.append(draft.id) }
                drafts[draft.id] = (number, draft)
            } catch {
                rejected.append(BulkRejection(line: number, id: value["id"]?.stringValue, error: (error as? AlmanacError)?.detail ?? "\(error)"))
            }
        }
        let accepted = order.compactMap { drafts[$0]?.1 }
        var seq = try await services.threadPool.runIfActive { try services.store.headSeq() }
        if !accepted.isEmpty {
            seq = try await services.store.bulkUpsertProducts(accepted, context: writer)
        }
        let headers = try await support.afterWrite(seq: seq, query: query, watermark: services.productWatermark)
        return JSONResponse.make(BulkRendering.report(accepted: validLines, duplicates: nil, rejected: rejected, seq: seq), headers: headers)
    }
}

enum BulkRendering {
    static func report(accepted: Int, duplicates: Int?, rejected: [BulkRejection], seq: Int64) -> JSONValue {
        var o = JSONObject()
        o["accepted"] = .int(Int64(accepted))
        if let duplicates { o["duplicates"] = .int(Int64(duplicates)) }
        o["rejected"] = .array(
            rejected.map { r in
                var e = JSONObject()
                e["line"] = .int(Int64(r.line))
                e["id"] = r.id.map { .string($0) } ?? .null
                e["error"] = .string(r.error)
                return .object(e)
            })
        o["seq"] = .int(seq)
        return .object(o)
    }
}
