public import AlmanacCore

/// How an event becomes a search document (see `Terms` and `EventSlot`).
public struct EventProjection {
    public var slots: SlotRegistry?

    public init(slots: SlotRegistry? = nil) { self.slots = slots }

    public func document(tenant: String, event: Event, json: [UInt8], stemmer: some Stemming) -> IndexDocument {
        var doc = IndexDocument(tenant: tenant, id: event.id, json: json)
        for field in ["id", "type", "source", "occurred_at", "severity"] { doc.addExists(field) }

        doc.addBoolean(Terms.keyword(Terms.type, event.type))
        doc.addBoolean(Terms.keyword(Terms.source, event.source))
        doc.addBoolean(Terms.keyword(Terms.severity, event.severity.rawValue))
        doc.values[EventSlot.id] = Array(event.id.utf8)
        doc.values[EventSlot.occurredAt] = SlotValue.time(event.occurredAt)
        doc.values[EventSlot.type] = Array(event.type.utf8)
        doc.values[EventSlot.source] = Array(event.source.utf8)
        doc.values[EventSlot.severity] = Array(event.severity.rawValue.utf8)
        if let actor = event.actor {
            doc.addExists("actor")
            doc.addBoolean(Terms.keyword(Terms.actor, actor))
            doc.values[EventSlot.actor] = Array(actor.utf8)
        }
        if let entity = event.entity {
            doc.addExists("entity")
            doc.addExists("entity.type")
            doc.addExists("entity.id")
            doc.addBoolean(Terms.keyword(Terms.entityType, entity.type))
            doc.addBoolean(Terms.keyword(Terms.entityID, entity.id))
            doc.values[EventSlot.entityType] = Array(entity.type.utf8)
            doc.values[EventSlot.entityID] = Array(entity.id.utf8)
        }
        if let message = event.message {
            doc.addExists("message")
            doc.indexText(message, startingAt: 1, wdf: 1, fieldPrefix: nil, stemmer: stemmer)
        }
        if !event.attributes.isEmpty {
            doc.addAttributes(event.attributes, slots: slots, facetSlot: EventSlot.attributes)
        }
        return doc
    }
}
