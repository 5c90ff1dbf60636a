public import AlmanacCore
import GRDB

extension Store {
    /// Appends the events of several tenants in ONE transaction, each batch on its own
    /// tenant's timeline with the same rules as `appendEvents` (idempotent by id, seqs in
    /// input order). Search analytics writes every tenant's roll-ups of a second this way:
    /// one write transaction a second however many tenants searched.
    public func appendEvents(
        batches: [(context: WriteContext, drafts: [EventValidator.Draft])]
    ) async throws -> [[EventAppendOutcome]] {
        guard batches.contains(where: { !$0.drafts.isEmpty }) else { return batches.map { _ in [] } }
        return try await pool.write { db in
            var seqs = try SeqAllocator(db)
            var all: [[EventAppendOutcome]] = []
            all.reserveCapacity(batches.count)
            for (context, drafts) in batches {
                var outcomes: [EventAppendOutcome] = []
                outcomes.reserveCapacity(drafts.count)
                for draft in drafts {
                    if let id = draft.id, let existing = try Self.fetchEventRow(db, tenant: context.tenant, id: id) {
                        let stored = try Event(storedJSON: try JSONParser.parse(existing.body))
                        let candidate = draft.event(id: id, receivedAt: stored.receivedAt, seq: stored.seq)
                        outcomes.append(
                            candidate.contentJSON == stored.contentJSON ? .duplicate(id: id, seq: stored.seq) : .conflict(id: id))
                        continue
                    }
                    let seq = seqs.next()
                    let id = draft.id ?? Self.generatedEventID()
                    try Self.insertEvent(db, draft.event(id: id, receivedAt: context.now, seq: seq), tenant: context.tenant, writtenBy: context.actor)
                    outcomes.append(.accepted(id: id, seq: seq))
                }
                all.append(outcomes)
            }
            try seqs.finish(db)
            return all
        }
    }
}
