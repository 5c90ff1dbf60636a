import AlmanacAuth
import AlmanacCore
import AlmanacStore
import HTTPTypes
import Hummingbird

/// The timeline: `/v1/events...` and `/v1/entities/{type}/{id}/events`.
struct EventRoutes {
    let services: AlmanacServices
    let support: RouteSupport

    func register(on group: RouterGroup<AppRequestContext>) {
        group.post("events") { request, context in
            let writer = try support.writer(context, scope: Scope.eventsWrite)
            let query = try QueryParameters(query: request.uri.query)
            try query.rejectUnknown(allowed: ["tenant", "wait"])
            var request = request
            let body = try await request.jsonBody(limit: services.configuration.limits.bodyBytes)
            let draft = try EventValidator().validate(body)
            let outcome = try await services.store.appendEvents([draft], context: writer)[0]
            switch outcome {
            case .accepted(let id, let seq):
                let headers = try await support.afterWrite(seq: seq, query: query, watermark: services.eventWatermark)
                return JSONResponse.make(["id": .string(id), "seq": .int(seq)], status: .created, headers: headers)
            case .duplicate(let id, let seq):
                return JSONResponse.make(["id": .string(id), "seq": .int(seq)], status: .ok)
            case .conflict(let id):
                throw AlmanacError(.conflict, "an event with id '\(id.prefix(200))' exists with other content")
            }
        }
        group.post("events/_bulk") { request, context in
            let writer = try support.writer(context, scope: Scope.eventsWrite)
            let query = try QueryParameters(query: request.uri.query)
            try query.rejectUnknown(allowed: ["tenant", "wait"])
            let limits = services.configuration.limits
            let validator = EventValidator()
            var drafts: [EventValidator.Draft] = []
            var lines: [Int] = []
            var rejected: [BulkRejection] = []
            try await NDJSONReader.forEachLine(of: request, maxBytes: limits.bulkBodyBytes, maxLines: limits.bulkLines) { number, line in
                let value: JSONValue
                do { value = try JSONParser.parse(line) } catch {
                    rejected.append(BulkRejection(line: number, id: nil, error: "malformed JSON: \(error)"))
                    return
                }
                do {
                    drafts.append(try validator.validate(value))
                    lines.append(number)
                } catch {
                    rejected.append(BulkRejection(line: number, id: value["id"]?.stringValue, error: (error as? AlmanacError)?.detail ?? "\(error)"))
                }
            }
            let outcomes = drafts.isEmpty ? [] : try await services.store.appendEvents(drafts, context: writer)
            var accepted = 0
            var duplicates = 0
            for (i, outcome) in outcomes.enumerated() {
                switch outcome {
                case .accepted: accepted += 1
                case .duplicate: duplicates += 1
                case .conflict(let id):
                    rejected.append(BulkRejection(line: lines[i], id: id, error: "an event with this id exists with other content"))
                }
            }
            rejected.sort { $0.line < $1.line }
            let seq = try await services.threadPool.runIfActive { try services.store.headSeq() }
            let headers = try await support.afterWrite(seq: seq, query: query, watermark: services.eventWatermark)
            return JSONResponse.make(
                BulkRendering.report(accepted: accepted, duplicates: duplicates, rejected: rejected, seq: seq), headers: headers)
        }
        group.get("events/{id}") { request, context in
            let principal = try context.require(Scope.eventsRead)
            let query = try QueryParameters(query: request.uri.query)
            try query.rejectUnknown(allowed: ["tenant"])
            let id = try context.pathParameter("id")
            guard let json = try await services.store.eventJSON(tenant: principal.tenant, id: id) else {
                throw AlmanacError.notFound("no event '\(id.prefix(200))'")
            }
            return JSONResponse.make(Array(json.utf8))
        }
        registerQueries(on: group)
    }
}
