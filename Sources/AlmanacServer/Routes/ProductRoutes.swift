import AlmanacApp
import AlmanacAuth
import AlmanacCore
import AlmanacStore
import HTTPTypes
import Hummingbird

/// The catalogue: `/v1/products...`. Each handler decodes, calls `Catalogue`, renders.
struct ProductRoutes {
    let support: RouteSupport
    var catalogue: Catalogue { support.services.catalogue }

    func register(on group: RouterGroup<AppRequestContext>) {
        group.get("products/search") { request, context in
            try await support.search(request, context, scope: .catalogueRead, catalogue.search)
        }
        group.post("products/search") { request, context in
            let (tenant, query, body) = try await support.jsonQuery(request, context, scope: .catalogueRead)
            let parameters = try RequestParameters(json: body)
            let minSeq = try parameters.int("min_seq").map(Int64.init) ?? query.int64("min_seq")
            return support.render(try await catalogue.search(parameters, tenant: tenant, minSeq: minSeq), context)
        }
        group.post("products/_bulk") { request, context in
            try await support.bulk(request, context, into: catalogue, scope: .catalogueWrite)
        }
        group.get("products/{id}") { request, context in
            let principal = try context.require(Scope.catalogueRead)
            let query = try QueryParameters(query: request.uri.query)
            try query.rejectUnknown(allowed: ["tenant", "min_seq"])
            return JSONResponse.make(try await catalogue.product(tenant: principal.tenant, id: try context.pathParameter("id")))
        }
        group.put("products/{id}") { request, context in
            let write = try await ProductWrite(request, context, support: support)
            let receipt = try await catalogue.put(
                id: write.id, body: write.body, ifMatch: write.ifMatch, caller: write.caller, wait: write.wait)
            return written(receipt, status: receipt.result.created ? .created : .ok)
        }
        group.patch("products/{id}") { request, context in
            let write = try await ProductWrite(request, context, support: support)
            let receipt = try await catalogue.patch(
                id: write.id, patch: write.body, ifMatch: write.ifMatch, caller: write.caller, wait: write.wait)
            return written(receipt, status: .ok)
        }
        group.delete("products/{id}") { request, context in
            let caller = try support.writer(context, scope: Scope.catalogueWrite)
            let query = try QueryParameters(query: request.uri.query)
            try query.rejectUnknown(allowed: ["tenant", "wait"])
            let receipt = try await catalogue.delete(
                id: try context.pathParameter("id"), ifMatch: try request.ifMatchVersion(), caller: caller,
                wait: try query.bool("wait", default: false))
            return support.render(receipt, ["id": .string(receipt.result), "seq": .int(receipt.seq)])
        }
    }

    /// What a PUT or PATCH carries: caller, id, `If-Match`, `?wait`, the JSON body.
    struct ProductWrite {
        var caller: WriteContext
        var id: String
        var ifMatch: Int64?
        var wait: Bool
        var body: JSONValue

        init(_ request: Request, _ context: AppRequestContext, support: RouteSupport) async throws {
            caller = try support.writer(context, scope: .catalogueWrite)
            let query = try QueryParameters(query: request.uri.query)
            try query.rejectUnknown(allowed: ["tenant", "wait"])
            id = try context.pathParameter("id")
            ifMatch = try request.ifMatchVersion()
            wait = try query.bool("wait", default: false)
            var request = request
            body = try await request.jsonBody(limit: support.limits.bodyBytes)
        }
    }

    /// A PUT or PATCH answer: the product's id, version and seq, and its version as ETag.
    private func written(_ receipt: WriteReceipt<ProductWriteResult>, status: HTTPResponse.Status) -> Response {
        let r = receipt.result
        return support.render(
            receipt, ["id": .string(r.id), "version": .int(r.version), "seq": .int(r.seq)], status: status,
            headers: [(.eTag, "\"\(r.version)\"")])
    }
}
