import AlmanacCore
import AlmanacIndex
import AlmanacStore

/// The product index rebuilt from the products themselves (the change log keeps only what
/// is not yet indexed), into a fresh database: documents are added without a uniqueness
/// lookup and committed once, with the store's head as `last_seq`.
final class CatalogueRebuild: Projection {
    let writer: ProductIndexShards
    let store: Store
    let settings: @Sendable (String) -> SearchSettings
    private var key: (tenant: String, id: String)?
    private var head: Int64?
    private(set) var added = 0

    init(writer: ProductIndexShards, store: Store, settings: @escaping @Sendable (String) -> SearchSettings) {
        self.writer = writer
        self.store = store
        self.settings = settings
    }

    var lastSeq: Int64 { writer.lastSeq }

    /// The next products in (tenant, id) order; the watermark is the head read before the
    /// first page once the last page is read, else the current `last_seq`.
    func changes(after seq: Int64, limit: Int) throws -> ChangeBatch<ProductChange> {
        if head == nil { head = try store.headSeq() }
        let page = try store.products(after: key, limit: limit)
        if let last = page.last { key = (last.tenant, last.id) }
        return ChangeBatch(changes: page, watermark: page.count == limit ? lastSeq : head!)
    }

    func apply(_ changes: [ProductChange], watermark: Int64) throws -> Int {
        try writer.addNew(changes.map { ProductIndexChange(tenant: $0.tenant, id: $0.id, json: $0.body) }, settings: settings)
        added += changes.count
        if watermark > lastSeq { try writer.commit(watermark: watermark) }
        return changes.count
    }

    func skip(to watermark: Int64) { writer.skip(to: watermark) }
    func pruneApplied(through seq: Int64) throws {}

    func close() throws {
        try writer.commitSkipped()
        try writer.close()
    }
}
