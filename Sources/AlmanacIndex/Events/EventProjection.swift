import AlmanacCore

/// How an event becomes a search document (see `Terms` and `EventSlot`).
public struct EventProjection {
    public var slots: SlotRegistry?

    public init(slots: SlotRegistry? = nil) { self.slots = slots }

    public func document(tenant: String, event: Event, json: [UInt8], stemmer: some Stemming) -> IndexDocument {
        var doc = IndexDocument(uniqueTerm: Terms.unique(tenant: tenant, id: event.id))
        doc.addBoolean(Terms.keyword(Terms.tenant, tenant))
        doc.addBoolean(Terms.keyword(Terms.id, event.id))
        doc.data = json
        func exists(_ field: String) { doc.addBoolean(Terms.keyword(Terms.exists, field)) }
        for field in ["id", "type", "source", "occurred_at", "severity"] { exists(field) }

        doc.addBoolean(Terms.keyword(Terms.type, event.type))
        doc.addBoolean(Terms.keyword(Terms.source, event.source))
        doc.addBoolean(Terms.keyword(Terms.severity, event.severity.rawValue))
        doc.values[EventSlot.id] = Array(event.id.utf8)
        doc.values[EventSlot.occurredAt] = SlotValue.time(event.occurredAt)
        doc.values[EventSlot.type] = Array(event.type.utf8)
        doc.values[EventSlot.source] = Array(event.source.utf8)
        doc.values[EventSlot.severity] = Array(event.severity.rawValue.utf8)
        if let actor = event.actor {
            exists("actor")
            doc.addBoolean(Terms.keyword(Terms.actor, actor))
            doc.values[EventSlot.actor] = Array(actor.utf8)
        }
        if let entity = event.entity {
            exists("entity")
            exists("entity.type")
            exists("entity.id")
            doc.addBoolean(Terms.keyword(Terms.entityType, entity.type))
            doc.addBoolean(Terms.keyword(Terms.entityID, entity.id))
            doc.values[EventSlot.entityType] = Array(entity.type.utf8)
            doc.values[EventSlot.entityID] = Array(entity.id.utf8)
        }
        if let message = event.message {
            exists("message")
            doc.indexText(message, startingAt: 1, wdf: 1, fieldPrefix: nil, stemmer: stemmer)
        }
        if !event.attributes.isEmpty {
            exists("attributes")
            var facetValues: [[UInt8]] = []
            for entry in event.attributes {
                exists("attributes." + entry.key)
                guard let text = SlotValue.attributeText(entry.value) else { continue }
                doc.addBoolean(Terms.attributeTerm(entry.key, text))
                facetValues.append(Array((entry.key + Terms.attributeSeparator + text).utf8))
                if let slot = slots?.slot(for: entry.key), let encoded = SlotValue.attribute(entry.value) {
                    doc.values[slot] = encoded
                }
            }
            doc.values[EventSlot.attributes] = MultiValue.encode(facetValues)
        }
        return doc
    }
}
