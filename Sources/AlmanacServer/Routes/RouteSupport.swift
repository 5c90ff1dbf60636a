import AlmanacStore
import AlmanacAuth
import AlmanacCore
import AlmanacIndex
import HTTPTypes
import Hummingbird
import NIOCore

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

/// Shared pieces of the route handlers.
struct RouteSupport: Sendable {
    let services: AlmanacServices
    let writeLimiter: RateLimiter

    init(services: AlmanacServices) {
        self.services = services
        writeLimiter = RateLimiter(
            burst: services.configuration.auth.writeBurst, ratePerSecond: services.configuration.auth.writesPerSecond)
    }

    /// A write's caller: holds `scope` and has budget left in its token bucket.
    func writer(_ context: AppRequestContext, scope: String) throws -> AlmanacStore.WriteContext {
        let principal = try context.require(scope)
        if let wait = writeLimiter.acquire(principal.clientID) {
            throw AlmanacError(.tooManyRequests, "write rate limit reached for this client; retry in \(wait) s", retryAfter: wait)
        }
        return AlmanacStore.WriteContext(tenant: principal.tenant, actor: principal.clientID)
    }

    /// Honours `min_seq`: waits (up to the configured limit) until `watermark` reaches it.
    func awaitMinSeq(_ query: QueryParameters, _ watermark: Watermark) async throws {
        guard let text = query["min_seq"] else { return }
        guard let seq = Int64(text), seq >= 0 else {
            throw AlmanacError.invalidParameter("min_seq", "must be a non-negative integer")
        }
        try await awaitSeq(seq, watermark)
    }

    func awaitSeq(_ seq: Int64, _ watermark: Watermark) async throws {
        let limit = services.configuration.limits.minSeqWait
        if await watermark.wait(for: seq, timeout: limit) { return }
        let seconds = Int(limit.components.seconds)
        throw AlmanacError(.unavailable, "the index has not applied seq \(seq) within \(seconds) s (at \(watermark.value))", retryAfter: 1)
    }

    /// After a committed write: wakes the indexers and, with `?wait=true`, waits for them.
    func afterWrite(seq: Int64, query: QueryParameters, watermark: Watermark) async throws -> [(HTTPField.Name, String)] {
        services.changesCommitted()
        guard try query.bool("wait", default: false) else { return [] }
        let indexed = await watermark.wait(for: seq, timeout: services.configuration.limits.minSeqWait)
        return [(.almanacIndexed, indexed ? "true" : "false"), (.almanacSeq, String(watermark.value))]
    }
}

/// Appends the per-response tail (`took_ms`, `cache`) to a rendered body that lacks its
/// closing brace, so cached bytes can be served unchanged.
func finishBody(_ prefix: [UInt8], tookMs: Double, cache: String) -> [UInt8] {
    var out = prefix
    out.reserveCapacity(prefix.count + 40)
    out.append(contentsOf: ",\"took_ms\":".utf8)
    let rounded = (tookMs * 1000).rounded() / 1000
    out.append(contentsOf: JSONWriter.string(.double(rounded)).utf8)
    out.append(contentsOf: ",\"cache\":\"".utf8)
    out.append(contentsOf: cache.utf8)
    out.append(contentsOf: "\"}".utf8)
    return out
}
