import AlmanacAuth
import AlmanacCore
import AlmanacIndex
import AlmanacStore
import Hummingbird

extension EventRoutes {
    func registerQueries(on group: RouterGroup<AppRequestContext>) {
        group.get("entities/{type}/{id}/events") { request, context in
            try await entityHistory(request, context)
        }
        registerSearch(on: group)
    }

    /// One entity's history from the store, oldest first (or `order=desc`), cursor-paged by
    /// (occurred_at, id) so pages stay exact while events arrive.
    func entityHistory(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let principal = try context.require(Scope.eventsRead)
        let query = try QueryParameters(query: request.uri.query)
        try query.rejectUnknown(allowed: ["tenant", "order", "limit", "cursor", "min_seq"])
        let type = try context.pathParameter("type")
        let id = try context.pathParameter("id")
        let limits = services.configuration.limits
        let limit = try query.int("limit", default: limits.limitDefault, range: 1...limits.limitMax)
        let descending: Bool
        switch query["order"] ?? "asc" {
        case "asc": descending = false
        case "desc": descending = true
        default: throw AlmanacError.invalidParameter("order", "must be asc or desc")
        }
        let fingerprint = Cursor.fingerprint("entity\u{1F}\(principal.tenant)\u{1F}\(type)\u{1F}\(id)\u{1F}\(descending)")
        var position: EventPosition?
        if let text = query["cursor"] {
            let cursor = try Cursor.decode(text, fingerprint: fingerprint)
            guard let key = cursor.key, let at = Int64(String(decoding: key, as: UTF8.self)), let lastID = cursor.lastID else {
                throw AlmanacError.invalidParameter("cursor", "is not a cursor this server issued")
            }
            position = EventPosition(occurredAt: at, id: lastID)
        }
        try await support.awaitMinSeq(query, services.eventWatermark)
        let rows = try await services.store.entityEvents(
            tenant: principal.tenant, entityType: type, entityID: id, descending: descending, after: position, limit: limit + 1)
        let total = try await services.store.entityEventCount(tenant: principal.tenant, entityType: type, entityID: id)
        let page = Array(rows.prefix(limit))
        var next: String?
        if rows.count > limit, let last = page.last, case .object(let o)? = try? JSONParser.parse(last),
            let lastID = o["id"]?.stringValue, let at = o["occurred_at"]?.stringValue.flatMap({ try? Timestamp(rfc3339: $0) })
        {
            next = Cursor(fingerprint: fingerprint, key: Array(String(at.microseconds).utf8), offset: 0, lastID: lastID).encoded
        }
        var w = JSONWriter(capacity: 1024 + page.count * 512)
        w.beginObject()
        w.key("events")
        w.beginArray()
        for (i, row) in page.enumerated() {
            if i > 0 { w.comma() }
            w.rawBytes(row.utf8)
        }
        w.endArray()
        w.comma()
        w.key("total")
        w.write(["value": .int(Int64(total)), "relation": "eq"])
        w.comma()
        w.key("page")
        w.write(["limit": .int(Int64(limit)), "next_cursor": next.map { .string($0) } ?? .null])
        let body = finishBody(w.bytes, tookMs: context.elapsedMilliseconds, cache: "off")
        return JSONResponse.make(body, headers: [(.almanacSeq, String(services.eventWatermark.value))])
    }
}
