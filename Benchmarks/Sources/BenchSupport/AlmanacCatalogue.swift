import AlmanacCore
import AlmanacIndex
import AlmanacApp
import AlmanacStore
import Foundation
import NIOPosix

/// How long the two halves of an import took.
public struct ImportTimes: Sendable {
    public var products: Int
    /// `Importer.run`: every product committed in SQLite (with its change-log row and
    /// timeline event) — the `almanac import` write path.
    public var durableSeconds: Double
    /// `Maintenance.catchUp`: the change log projected into Xapian and committed.
    public var indexSeconds: Double

    public var totalSeconds: Double { durableSeconds + indexSeconds }
    /// Products/s until SQLite committed everything.
    public var durableRate: Double { Double(products) / durableSeconds }
    /// Products/s until Xapian committed everything (the whole import).
    public var indexedRate: Double { Double(products) / totalSeconds }
}

/// Almanac's own catalogue components on a temporary data directory, wired the way
/// `AlmanacServices.open` wires them (store, product index, typo vocabulary, reader pool,
/// searcher) but without HTTP, auth or cache.
public final class AlmanacCatalogue: @unchecked Sendable {
    public static let tenant = "bench"

    public let dataDirectory: String
    public let configuration: AlmanacConfiguration
    public let store: Store
    public let threadPool: NIOThreadPool
    public private(set) var searcher: ProductSearcher?
    public private(set) var vocabulary: TypoVocabulary?

    /// `shards`: the product index's S (nil: the index's own, or one per core).
    public init(dataDirectory: String, readers: Int = 4, shards: Int? = nil) throws {
        self.dataDirectory = dataDirectory
        var c = AlmanacConfiguration()
        c.dataDirectory = dataDirectory
        c.index.readers = readers
        c.index.productShards = shards
        configuration = c
        try FileManager.default.createDirectory(atPath: dataDirectory + "/index", withIntermediateDirectories: true)
        store = try Store(path: c.storePath)
        // As AlmanacServices.open: max(4, 2 x cores) blocking threads.
        threadPool = NIOThreadPool(numberOfThreads: max(4, ProcessInfo.processInfo.activeProcessorCount * 2))
        threadPool.start()
    }

    /// `almanac import products FILE --tenant T`, in process: the importer (SQLite), then
    /// the catch-up indexing of the same command, each timed.
    public func importProducts(path: String) async throws -> ImportTimes {
        let t0 = ContinuousClock.now
        let report = try await Importer(
            store: store, collection: .products, tenant: Self.tenant, progress: false
        ).run(path: path)
        let t1 = ContinuousClock.now
        guard try Maintenance.catchUpProducts(configuration, store: store) else {
            throw AlmanacError(.conflict, "the product index is locked")
        }
        let t2 = ContinuousClock.now
        return ImportTimes(
            products: report.accepted, durableSeconds: (t1 - t0).seconds, indexSeconds: (t2 - t1).seconds)
    }

    /// Opens readers and the typo vocabulary as the service does after start.
    public func openSearcher() throws {
        let slots = SlotRegistry(path: dataDirectory + "/index/products.slots.json")
        let vocabulary = TypoVocabulary()
        let writer = try ProductIndexShards(
            directory: configuration.productIndexPath, shards: configuration.index.productShards, slots: slots,
            vocabulary: vocabulary)
        vocabulary.add(counts: try writer.vocabularyEntries())
        vocabulary.addNames(try writer.nameTerms())
        vocabulary.rebuild()
        let paths = writer.paths
        try writer.close()
        let readers = ReaderPool(paths: paths, capacity: configuration.index.readers, threadPool: threadPool)
        self.vocabulary = vocabulary
        searcher = ProductSearcher(readers: readers, vocabulary: vocabulary, slots: slots)
    }

    public func search(_ request: ProductSearchRequest) async throws -> ProductSearchResult {
        try await searcher!.search(request, tenant: Self.tenant, settings: .default)
    }

    public func close() async {
        searcher?.readers.close()
        try? store.close()
        try? await threadPool.shutdownGracefully()
    }

    /// A search request as the routes build it: `q`, top 20, optional facets and filter.
    public static func request(
        q: String, facets: [String] = [], filter: String? = nil, typo: Bool = true, limit: Int = 20
    ) -> ProductSearchRequest {
        var r = ProductSearchRequest()
        r.q = q
        r.facets = facets
        r.filter = filter
        r.typo = typo
        r.limit = limit
        return r
    }
}

/// The single-product write path: `Store.putProduct` (one SQLite transaction), then what
/// `ProjectionDriver.step` does for it (read the change log, project, replace
/// the document, commit `last_seq` with it).
public final class WritePath: @unchecked Sendable {
    public let store: Store
    public let writer: ProductIndexWriter
    let tenants = TenantState()

    public init(dataDirectory: String) throws {
        try FileManager.default.createDirectory(atPath: dataDirectory + "/index", withIntermediateDirectories: true)
        store = try Store(path: dataDirectory + "/almanac.sqlite3")
        writer = try ProductIndexWriter(
            path: dataDirectory + "/index/products",
            slots: SlotRegistry(path: dataDirectory + "/index/products.slots.json"), vocabulary: TypoVocabulary())
    }

    /// Writes one product and indexes it; answers its seq.
    @discardableResult
    public func put(_ draft: ProductValidator.Draft) async throws -> Int64 {
        let result = try await store.putProduct(
            draft, ifMatch: nil, context: WriteContext(tenant: AlmanacCatalogue.tenant, actor: "bench"))
        try index()
        return result.seq
    }

    /// Store.putProduct alone (the durable half).
    @discardableResult
    public func putOnly(_ draft: ProductValidator.Draft) async throws -> Int64 {
        try await store.putProduct(
            draft, ifMatch: nil, context: WriteContext(tenant: AlmanacCatalogue.tenant, actor: "bench")
        ).seq
    }

    /// Loads `drafts` in one bulk transaction and indexes them.
    public func preload(_ drafts: [ProductValidator.Draft]) async throws {
        _ = try await store.bulkUpsertProducts(drafts, context: WriteContext(tenant: AlmanacCatalogue.tenant, actor: "bench"))
        try index()
    }

    /// Applies every pending change, as the indexer service does.
    public func index() throws {
        while true {
            let batch = try store.productChanges(after: writer.lastSeq, limit: 2000)
            if batch.changes.isEmpty {
                writer.skip(to: batch.watermark)
                return
            }
            try writer.apply(
                batch.changes.map { ProductIndexChange(tenant: $0.tenant, id: $0.id, json: $0.body) },
                watermark: batch.watermark, settings: { self.tenants.settings($0) })
        }
    }

    public func close() throws {
        try writer.close()
        try store.close()
    }
}

extension Duration {
    public var seconds: Double {
        let c = components
        return Double(c.seconds) + Double(c.attoseconds) / 1e18
    }

    public var milliseconds: Double { seconds * 1000 }
}
