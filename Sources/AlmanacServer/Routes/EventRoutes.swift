import AlmanacApp
import AlmanacAuth
import AlmanacCore
import HTTPTypes
import Hummingbird

/// The timeline: `/v1/events...` and `/v1/entities/{type}/{id}/events`. Each handler
/// decodes, calls `Timeline`, renders.
struct EventRoutes {
    let support: RouteSupport
    var timeline: Timeline { support.services.timeline }

    func register(on group: RouterGroup<AppRequestContext>) {
        group.post("events") { request, context in
            let caller = try support.writer(context, scope: Scope.eventsWrite)
            let query = try QueryParameters(query: request.uri.query)
            try query.rejectUnknown(allowed: ["tenant", "wait"])
            var request = request
            let body = try await request.jsonBody(limit: support.limits.bodyBytes)
            let receipt = try await timeline.append(body, caller: caller, wait: try query.bool("wait", default: false))
            let event = receipt.result
            return support.render(receipt, ["id": .string(event.id), "seq": .int(receipt.seq)], status: event.isNew ? .created : .ok)
        }
        group.post("events/_bulk") { request, context in
            try await support.bulk(request, context, into: timeline, scope: .eventsWrite)
        }
        group.get("events/search") { request, context in
            try await support.search(request, context, scope: .eventsRead, timeline.search)
        }
        group.post("events/aggregate") { request, context in
            let (tenant, query, body) = try await support.jsonQuery(request, context, scope: .eventsRead)
            return support.render(try await timeline.aggregate(body, tenant: tenant, minSeq: try query.int64("min_seq")), context)
        }
        group.get("events/{id}") { request, context in
            let principal = try context.require(Scope.eventsRead)
            let query = try QueryParameters(query: request.uri.query)
            try query.rejectUnknown(allowed: ["tenant"])
            return JSONResponse.make(try await timeline.event(tenant: principal.tenant, id: try context.pathParameter("id")))
        }
        group.get("entities/{type}/{id}/events") { request, context in
            let principal = try context.require(Scope.eventsRead)
            let query = try QueryParameters(query: request.uri.query)
            try query.rejectUnknown(allowed: ["tenant", "order", "limit", "cursor", "min_seq"])
            let limits = support.limits
            let descending: Bool
            switch query["order"] ?? "asc" {
            case "asc": descending = false
            case "desc": descending = true
            default: throw AlmanacError.invalidParameter("order", "must be asc or desc")
            }
            let answer = try await timeline.history(
                tenant: principal.tenant, entityType: try context.pathParameter("type"), entityID: try context.pathParameter("id"),
                descending: descending, limit: try query.int("limit", default: limits.limitDefault, range: 1...limits.limitMax),
                cursor: query["cursor"], minSeq: try query.int64("min_seq"))
            return support.render(answer, context, countsCache: false)
        }
    }
}
