import AlmanacCore
public import AlmanacIndex
public import AlmanacStore

/// The product index fed from the product change log (`product_changes`).
public struct CatalogueProjection: Projection {
    public let writer: ProductIndexShards
    let store: Store
    let settings: @Sendable (String) -> SearchSettings


    public var lastSeq: Int64 { writer.lastSeq }

    public func changes(after seq: Int64, limit: Int) throws -> ChangeBatch<ProductChange> {
        try store.productChanges(after: seq, limit: limit)
    }

    /// Answers the tenants whose products changed.
    public func apply(_ changes: [ProductChange], watermark: Int64) throws -> Set<String> {
        try writer.apply(
            changes.map { ProductIndexChange(tenant: $0.tenant, id: $0.id, json: $0.body) }, watermark: watermark,
            settings: settings)
    }

    public func skip(to watermark: Int64) { writer.skip(to: watermark) }

    /// The change log is an outbox: once the index holds a change, its row can go.
    public func pruneApplied(through seq: Int64) throws { try store.pruneProductChanges(through: seq) }

    public func close() throws {
        try writer.commitSkipped()
        try writer.close()
    }
}
