import AlmanacCore
import AlmanacIndex
public import AlmanacStore
import Foundation

extension Maintenance {
    /// `almanac check --deep`: every record's content, not only the counts. Each index
    /// document carries its record's stored JSON as data, so the store's bodies and the
    /// index's data must be the same multiset; each body is reduced to a 64-bit hash. Adds
    /// to `check`'s findings the first `limit` records (in id order) whose content differs,
    /// each with its version on both sides where it has one.
    public static func deepCheck(_ configuration: AlmanacConfiguration, store: Store, limit: Int = 20) throws -> [String] {
        var problems = try check(configuration, store: store)

        var products = ContentTally()
        var key: (tenant: String, id: String)?
        while true {
            let page = try store.products(after: key, limit: 5000)
            guard let last = page.last else { break }
            for product in page { if let body = product.body { products.stored(body, tenant: product.tenant) } }
            key = (last.tenant, last.id)
        }
        let (db, _) = try openProductShards(configuration)
        try products.index(db)
        try db.close()
        problems += products.differences("product", limit: limit)

        // Events of the months retention keeps.
        var events = ContentTally()
        let retainFrom = EventRetention.firstKeptMonth(days: configuration.events.retentionDays, now: .now())
        try store.forEachEvent(through: try store.headSeq(), occurredFrom: retainFrom?.start, chunk: 20_000) { chunk in
            for event in chunk { events.stored(event.body, tenant: event.tenant) }
        }
        let directory = configuration.eventIndexDirectory
        for month in try EventIndexWriter.monthDirectories(directory) {
            let db = try XapianDatabase(path: directory + "/" + month.name)
            try events.index(db)
            try db.close()
        }
        problems += events.differences("event", limit: limit)
        return problems
    }
}

/// Record contents on both sides, as hashes; the JSON is kept only to name what differs.
private struct ContentTally {
    /// Hash → how many stored records have it, and one of them (tenant, body).
    var store: [UInt64: (count: Int, tenant: String, body: String)] = [:]
    /// Hash → how many index documents have it, and one of them (its data).
    var indexed: [UInt64: (count: Int, data: [UInt8])] = [:]

    mutating func stored(_ body: String, tenant: String) {
        let hash = FNV1a64.hash(body.utf8)
        store[hash, default: (0, tenant, body)].count += 1
    }

    /// Every document's data (ids of deleted documents are skipped).
    mutating func index(_ db: XapianDatabase) throws {
        let last = try db.lastDocumentID
        guard last > 0 else { return }
        for docid in 1...last {
            guard let data = try? db.documentData(docid), !data.isEmpty else { continue }
            indexed[FNV1a64.hash(data), default: (0, data)].count += 1
        }
    }

    func differences(_ kind: String, limit: Int) -> [String] {
        var found: [(id: String, text: String)] = []
        for (hash, s) in store where s.count > (indexed[hash]?.count ?? 0) {
            let (id, version) = Self.identity(Array(s.body.utf8))
            found.append((id, "\(kind) '\(id)' of tenant \(s.tenant)\(version.map { " (version \($0))" } ?? ""): the store's content is not in the index"))
        }
        for (hash, i) in indexed where i.count > (store[hash]?.count ?? 0) {
            let (id, version) = Self.identity(i.data)
            found.append((id, "\(kind) '\(id)'\(version.map { " (version \($0))" } ?? ""): the index holds content the store does not"))
        }
        guard !found.isEmpty else { return [] }
        let shown = found.sorted { $0.id < $1.id }.prefix(limit).map(\.text)
        let more = found.count > limit ? ["\(kind)s: \(found.count - limit) more differences"] : []
        return shown + more
    }

    static func identity(_ json: [UInt8]) -> (id: String, version: Int64?) {
        guard case .object(let o)? = try? JSONParser.parse(json) else { return ("?", nil) }
        return (o["id"]?.stringValue ?? "?", o["version"]?.integerValue)
    }
}
