public import AlmanacCore
import GRDB

/// What a product write answers.
public struct ProductWriteResult: Sendable, Equatable {
    public var id: String
    public var version: Int64
    public var seq: Int64
    public var created: Bool
}

/// One bulk line's outcome.
public struct BulkRejection: Sendable, Equatable {
    public var line: Int
    public var id: String?
    public var error: String
    public init(line: Int, id: String?, error: String) {
        self.line = line
        self.id = id
        self.error = error
    }
}

struct DeleteResult: Sendable {
    var id: String
    var seq: Int64
}

enum ProductOp: Int {
    case upsert = 1
    case delete = 2
}

extension Store {
    /// The stored JSON of a product, or nil.
    public func productJSON(tenant: String, id: String) async throws -> String? {
        try await pool.read { db in
            try String.fetchOne(db, sql: "SELECT body FROM products WHERE tenant = ? AND id = ?", arguments: [tenant, id])
        }
    }

    /// Creates or replaces a product (`PUT`). `ifMatch` is the version the client expects.
    public func putProduct(_ draft: ProductValidator.Draft, ifMatch: Int64?, context: WriteContext) async throws -> ProductWriteResult {
        try await groupedWrite { db in
            var seqs = try SeqAllocator(db)
            let existing = try Self.fetchProduct(db, tenant: context.tenant, id: draft.id)
            try Self.checkPrecondition(ifMatch, existing: existing, id: draft.id)
            let result = try Self.upsert(db, draft: draft, existing: existing, context: context, seqs: &seqs)
            try seqs.finish(db)
            return result
        }
    }

    /// Applies a JSON merge patch (RFC 7396) to a stored product (`PATCH`).
    public func patchProduct(
        id: String, patch: JSONValue, ifMatch: Int64?, validator: ProductValidator, context: WriteContext
    ) async throws -> ProductWriteResult {
        guard case .object = patch else {
            throw AlmanacError(.validation, "a merge patch must be a JSON object, got \(patch.typeDescription)")
        }
        return try await groupedWrite { db in
            var seqs = try SeqAllocator(db)
            guard let existing = try Self.fetchProduct(db, tenant: context.tenant, id: id) else {
                throw AlmanacError.notFound("no product '\(id)'")
            }
            try Self.checkPrecondition(ifMatch, existing: existing, id: id)
            let merged = MergePatch.apply(patch, to: existing.json)
            let draft = try validator.validate(merged, pathID: id)
            let result = try Self.upsert(db, draft: draft, existing: existing, context: context, seqs: &seqs)
            try seqs.finish(db)
            return result
        }
    }

    /// Deletes a product; answers its id and the write's seq.
    public func deleteProduct(id: String, ifMatch: Int64?, context: WriteContext) async throws -> (id: String, seq: Int64) {
        let result = try await groupedWrite { db -> DeleteResult in
            var seqs = try SeqAllocator(db)
            guard let existing = try Self.fetchProduct(db, tenant: context.tenant, id: id) else {
                throw AlmanacError.notFound("no product '\(id)'")
            }
            try Self.checkPrecondition(ifMatch, existing: existing, id: id)
            try db.execute(sql: "DELETE FROM products WHERE tenant = ? AND id = ?", arguments: [context.tenant, id])
            let changeSeq = seqs.next()
            try Self.appendChange(db, seq: changeSeq, tenant: context.tenant, id: id, op: .delete, actor: context.actor)
            let event = Self.productEvent(
                type: "product.deleted", productID: id, seq: seqs.next(), version: existing.version, changed: [],
                context: context)
            try Self.insertEvent(db, event, tenant: context.tenant, writtenBy: context.actor)
            try seqs.finish(db)
            return DeleteResult(id: id, seq: event.seq)
        }
        return (result.id, result.seq)
    }

    /// Upserts many validated products in one transaction (bulk and import).
    public func bulkUpsertProducts(_ drafts: [ProductValidator.Draft], context: WriteContext) async throws -> Int64 {
        try await write { db in
            var seqs = try SeqAllocator(db)
            for draft in drafts {
                let existing = try Self.fetchProduct(db, tenant: context.tenant, id: draft.id)
                _ = try Self.upsert(db, draft: draft, existing: existing, context: context, seqs: &seqs)
            }
            try seqs.finish(db)
            return seqs.last
        }
    }

    // MARK: - Internals

    static func fetchProduct(_ db: Database, tenant: String, id: String) throws -> Product? {
        guard let body = try String.fetchOne(
            db, sql: "SELECT body FROM products WHERE tenant = ? AND id = ?", arguments: [tenant, id])
        else { return nil }
        return try Product(storedJSON: try JSONParser.parse(body))
    }

    static func checkPrecondition(_ ifMatch: Int64?, existing: Product?, id: String) throws {
        guard let ifMatch else { return }
        guard let existing else {
            throw AlmanacError(.preconditionFailed, "If-Match: \(ifMatch) but product '\(id)' does not exist")
        }
        guard existing.version == ifMatch else {
            throw AlmanacError(.preconditionFailed, "If-Match: \(ifMatch) but product '\(id)' is at version \(existing.version)")
        }
    }

    static func upsert(
        _ db: Database, draft: ProductValidator.Draft, existing: Product?, context: WriteContext, seqs: inout SeqAllocator
    ) throws -> ProductWriteResult {
        let version = (existing?.version ?? 0) + 1
        let product = draft.product(
            createdAt: existing?.createdAt ?? context.now, updatedAt: context.now, version: version)
        let body = String(decoding: product.jsonBytes, as: UTF8.self)
        let changeSeq = seqs.next()
        try db.execute(
            sql: """
                INSERT INTO products (tenant, id, body, version, seq) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (tenant, id) DO UPDATE SET body = excluded.body, version = excluded.version, seq = excluded.seq
                """,
            arguments: [context.tenant, draft.id, body, version, changeSeq])
        try appendChange(db, seq: changeSeq, tenant: context.tenant, id: draft.id, op: .upsert, actor: context.actor)
        let changed = existing.map { product.changedFields(from: $0) } ?? []
        let event = productEvent(
            type: existing == nil ? "product.created" : "product.updated", productID: draft.id, seq: seqs.next(),
            version: version, changed: changed, context: context)
        try insertEvent(db, event, tenant: context.tenant, writtenBy: context.actor)
        return ProductWriteResult(id: draft.id, version: version, seq: event.seq, created: existing == nil)
    }

    static func appendChange(_ db: Database, seq: Int64, tenant: String, id: String, op: ProductOp, actor: String?) throws {
        let statement = try db.cachedStatement(
            sql: "INSERT INTO product_changes (seq, tenant, id, op, actor) VALUES (?, ?, ?, ?, ?)")
        try statement.execute(arguments: [seq, tenant, id, op.rawValue, actor])
    }

    /// The timeline event a catalogue write appends in the same transaction.
    static func productEvent(
        type: String, productID: String, seq: Int64, version: Int64, changed: [String], context: WriteContext
    ) -> Event {
        var attributes = JSONObject()
        if type == "product.updated" { attributes["changed"] = .string(changed.joined(separator: ",")) }
        attributes["version"] = .int(version)
        let verb = type.dropFirst("product.".count)
        return Event(
            id: "product:\(productID):\(seq)", type: type, source: "catalogue", occurredAt: context.now,
            actor: context.actor, entity: Event.Entity(type: "product", id: productID), severity: .info,
            message: "product \(productID) \(verb)", attributes: attributes, receivedAt: context.now, seq: seq)
    }
}
