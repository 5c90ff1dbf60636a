public import AlmanacCore
public import AlmanacIndex
public import AlmanacStore

/// The product catalogue: its writes (each one SQLite transaction with its change row and
/// timeline event), its cached queries, and its projection into the product index.
/// The HTTP edge decodes a request, calls one method here and renders what it answers.
public struct Catalogue: BulkLoading {
    public let store: Store
    public let searcher: ProductSearcher
    public let indexer: ProjectionService<CatalogueProjection>
    let context: CollectionContext
    let limits: AlmanacConfiguration.Limits
    /// Tallies this catalogue's searches onto the tenants' timelines (a background service).
    public let analytics: SearchAnalytics


    /// What the product index has applied.
    public var watermark: Watermark { context.watermark }

    // MARK: Queries

    /// `GET|POST /v1/products/search`: validated, then answered from the cache or the index,
    /// and tallied for search analytics (unless the tenant turned it off). The cached bytes
    /// carry the answer's `SearchFacts` in front, so a hit is tallied without parsing them.
    public func search(_ parameters: RequestParameters, tenant: String, minSeq: Int64?) async throws -> QueryAnswer {
        let started = ContinuousClock.now
        let request = try ProductSearchRequest(parameters: parameters, limits: limits.request)
        let answer = try await context.answer(
            request, kind: "search+facts", canonical: request.canonical, tenant: tenant, minSeq: minSeq
        ) { [searcher] request, settings in
            let result = try await searcher.search(request, tenant: tenant, settings: settings)
            let facts = SearchFacts(zeroResults: result.total == 0, corrected: result.corrected)
            return ProductRendering.search(result, request: request, prefix: facts.header)
        }.splittingFacts()
        if let facts = answer.facts, context.tenants.settings(tenant).analytics {
            let (s, atto) = (ContinuousClock.now - started).components
            analytics.record(
                tenant: tenant, q: request.q, facts: facts, cache: answer.cache, tookMs: Double(s) * 1000 + Double(atto) / 1e15)
        }
        return answer
    }

    /// The stored record, as stored.
    public func product(tenant: String, id: String) async throws -> [UInt8] {
        guard let json = try await store.productJSON(tenant: tenant, id: id) else {
            throw AlmanacError.notFound("no product '\(id.prefix(128))'")
        }
        return Array(json.utf8)
    }

    // MARK: Writes

    /// Creates or replaces a product (`If-Match` as `ifMatch`).
    public func put(
        id: String, body: JSONValue, ifMatch: Int64?, caller: WriteContext, wait: Bool
    ) async throws -> WriteReceipt<ProductWriteResult> {
        let draft = try ProductValidator().validate(body, pathID: id)
        let result = try await store.putProduct(draft, ifMatch: ifMatch, context: caller)
        return await context.completed(result, seq: result.seq, wait: wait)
    }

    /// Applies a JSON merge patch (RFC 7396) to a stored product.
    public func patch(
        id: String, patch: JSONValue, ifMatch: Int64?, caller: WriteContext, wait: Bool
    ) async throws -> WriteReceipt<ProductWriteResult> {
        let result = try await store.patchProduct(id: id, patch: patch, ifMatch: ifMatch, validator: ProductValidator(), context: caller)
        return await context.completed(result, seq: result.seq, wait: wait)
    }

    public func delete(id: String, ifMatch: Int64?, caller: WriteContext, wait: Bool) async throws -> WriteReceipt<String> {
        let result = try await store.deleteProduct(id: id, ifMatch: ifMatch, context: caller)
        return await context.completed(result.id, seq: result.seq, wait: wait)
    }

    /// `_bulk` takes the whole body as one transaction; `almanac import` commits in chunks.
    public func bulk(caller: WriteContext, limits: BulkLimits) -> BulkPipeline<ProductBulkWriter> {
        BulkPipeline(writer: ProductBulkWriter(store: store), caller: caller, limits: limits)
    }

    public func finish(_ bulk: BulkPipeline<ProductBulkWriter>, wait: Bool) async throws -> WriteReceipt<BulkReport> {
        try await context.finish(bulk, wait: wait)
    }

    /// Applies everything committed so far (tests, benchmarks).
    public func catchUp() async throws { try await indexer.catchUp() }
}
