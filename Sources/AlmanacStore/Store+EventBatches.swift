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
                all.append(try Self.append(drafts, db, context, seqs: &seqs))
            }
            try seqs.finish(db)
            return all
        }
    }
}
