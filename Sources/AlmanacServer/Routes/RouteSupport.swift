import AlmanacApp
import AlmanacAuth
import AlmanacCore
import AlmanacStore
import HTTPTypes
import Hummingbird
import NIOCore
import AlmanacCache

extension HTTPField.Name {
    static let almanacSeq = HTTPField.Name("X-Almanac-Seq")!
    static let almanacIndexed = HTTPField.Name("X-Almanac-Indexed")!
}

extension AppRequestContext {
    /// A path parameter, percent-decoded (API.md: ids may carry reserved characters).
    func pathParameter(_ name: String) throws -> String {
        guard let raw = parameters.get(name) else { throw AlmanacError(.badRequest, "missing path parameter \(name)") }
        return try QueryParameters.decodePathSegment(raw)
    }
}

/// What every route handler shares: the application, metrics, the write limiter, and the
/// few ways a request is decoded and an answer rendered.
struct RouteSupport: Sendable {
    let services: AlmanacServices
    let metrics: AppMetrics
    let writeLimiter: RateLimiter

    init(services: AlmanacServices, metrics: AppMetrics) {
        self.services = services
        self.metrics = metrics
        writeLimiter = RateLimiter(
            burst: services.configuration.auth.writeBurst, ratePerSecond: services.configuration.auth.writesPerSecond)
    }

    var limits: AlmanacConfiguration.Limits { services.configuration.limits }

    /// A write's caller: holds `scope` and has budget left in its token bucket.
    func writer(_ context: AppRequestContext, scope: Scope) throws -> WriteContext {
        let principal = try context.require(scope)
        if let wait = writeLimiter.acquire(principal.clientID) {
            throw AlmanacError(.tooManyRequests, "write rate limit reached for this client; retry in \(wait) s", retryAfter: wait)
        }
        return WriteContext(tenant: principal.tenant, actor: principal.clientID)
    }

    /// `GET .../search`: every query parameter goes to the request model, which names the
    /// first one it does not know.
    func search(
        _ request: Request, _ context: AppRequestContext, scope: Scope,
        _ run: (_ parameters: RequestParameters, _ tenant: String, _ minSeq: Int64?) async throws -> QueryAnswer
    ) async throws -> Response {
        let principal = try context.require(scope)
        let query = try QueryParameters(query: request.uri.query)
        var values: [String: JSONValue] = [:]
        for pair in query.pairs { values[pair.name] = .string(pair.value) }
        return render(try await run(RequestParameters(values: values), principal.tenant, try query.int64("min_seq")), context)
    }

    /// A query sent as a JSON body (`POST .../search`, `aggregate`): the caller's tenant,
    /// the query string (only `tenant` and `min_seq`) and the body.
    func jsonQuery(
        _ request: Request, _ context: AppRequestContext, scope: Scope
    ) async throws -> (tenant: String, query: QueryParameters, body: JSONValue) {
        let principal = try context.require(scope)
        let query = try QueryParameters(query: request.uri.query)
        try query.rejectUnknown(allowed: ["tenant", "min_seq"])
        var request = request
        return (principal.tenant, query, try await request.jsonBody(limit: limits.bodyBytes))
    }

    /// A query answer as JSON, with `took_ms`, `cache` and `X-Almanac-Seq`.
    /// `countsCache`: whether the answer went through the query cache (entity histories do not).
    func render(_ answer: QueryAnswer, _ context: AppRequestContext, countsCache: Bool = true) -> Response {
        if countsCache { metrics.cache(answer.cache.rawValue) }
        return JSONResponse.make(
            answer.finished(tookMs: context.elapsedMilliseconds), headers: [(.almanacSeq, String(answer.indexedSeq))])
    }

    /// A write's answer; with `?wait=true`, whether it is indexed and where the index is.
    func render<R>(
        _ receipt: WriteReceipt<R>, _ body: JSONValue, status: HTTPResponse.Status = .ok, headers: [(HTTPField.Name, String)] = []
    ) -> Response {
        var extra = headers
        if let indexed = receipt.indexed {
            extra += [(.almanacIndexed, indexed ? "true" : "false"), (.almanacSeq, String(receipt.indexedSeq))]
        }
        return JSONResponse.make(body, status: status, headers: extra)
    }

    /// `POST .../_bulk`: streams the NDJSON body into the collection's bulk pipeline (never
    /// holding it whole) and answers its report.
    func bulk(_ request: Request, _ context: AppRequestContext, into collection: some BulkLoading, scope: Scope) async throws -> Response {
        let caller = try writer(context, scope: scope)
        let query = try QueryParameters(query: request.uri.query)
        try query.rejectUnknown(allowed: ["tenant", "wait"])
        try request.requireContentType(["application/x-ndjson"])
        let pipeline = collection.bulk(caller: caller, limits: limits.bulk)
        try pipeline.check(declaredLength: request.headers[.contentLength].flatMap { Int($0) })
        for try await buffer in request.body {
            try await pipeline.consume(buffer.readableBytesView)
        }
        let receipt = try await collection.finish(pipeline, wait: try query.bool("wait", default: false))
        return render(receipt, receipt.result.json)
    }
}
