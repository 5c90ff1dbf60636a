// Issue 2: the uncached search path and the write path on the 2k-product fixture
// (fixtures/products_2k.ndjson), through the library (no HTTP, no Redis).
//
//   cd Benchmarks && swift package benchmark --target SkeletonBenchmarks
import AlmanacCore
import BenchSupport
import Benchmark
import Foundation

/// State built by a benchmark's setup, used by its closure (each benchmark runs in its
/// own process, one closure at a time).
nonisolated(unsafe) var catalogue: AlmanacCatalogue?
nonisolated(unsafe) var raw: RawXapian.Searcher?
nonisolated(unsafe) var writes: WritePath?
nonisolated(unsafe) var drafts: [ProductValidator.Draft] = []
nonisolated(unsafe) var queries: [String] = []
nonisolated(unsafe) var next = 0
nonisolated(unsafe) var workDirectory: String?

func setUpSearch() async throws {
    let prepared = try await Prepared.indexes(for: BenchPaths.products2k)
    let c = try AlmanacCatalogue(dataDirectory: prepared.almanacDirectory)
    try c.openSearcher()
    catalogue = c
    raw = try RawXapian.Searcher(path: prepared.rawPath)
    queries = try QuerySet().queries
    next = 0
}

func tearDownSearch() async throws {
    await catalogue?.close()
    catalogue = nil
    raw = nil
}

/// A write path over a store and index already holding the 2k fixture.
func setUpWrites() async throws {
    let dir = try BenchPaths.temporaryDirectory("writes")
    workDirectory = dir
    let w = try WritePath(dataDirectory: dir)
    drafts = try Corpus(path: BenchPaths.products2k).drafts()
    try await w.preload(drafts)
    writes = w
    next = 0
}

func tearDownWrites() async throws {
    try writes?.close()
    writes = nil
    if let dir = workDirectory { try? FileManager.default.removeItem(atPath: dir) }
}

let benchmarks: @Sendable () -> Void = {
    let search = Benchmark.Configuration(
        metrics: [.wallClock, .throughput, .mallocCountTotal],
        timeUnits: .microseconds, warmupIterations: 200, maxDuration: .seconds(20), maxIterations: 3000)
    let write = Benchmark.Configuration(
        metrics: [.wallClock, .throughput, .mallocCountTotal, .peakMemoryResident],
        timeUnits: .microseconds, warmupIterations: 20, maxDuration: .seconds(20), maxIterations: 1000)

    // The uncached search path: ProductSearcher.search (planner, typo expansion, reader
    // pool hop, Xapian, hit decoding), top 20, the queries of queries.txt in turn.
    Benchmark("search/uncached (2k)", configuration: search) { benchmark async throws in
        for _ in benchmark.scaledIterations {
            let q = queries[next % queries.count]
            next += 1
            blackHole(try await catalogue!.search(AlmanacCatalogue.request(q: q)))
        }
    } setup: {
        try await setUpSearch()
    } teardown: {
        try await tearDownSearch()
    }

    // Its baseline: the same queries through the raw shim (AND of stems, top 20, data).
    Benchmark("search/raw xapian (2k)", configuration: search) { benchmark throws in
        for _ in benchmark.scaledIterations {
            let q = queries[next % queries.count]
            next += 1
            blackHole(try raw!.search(q))
        }
    } setup: {
        try await setUpSearch()
    } teardown: {
        try await tearDownSearch()
    }

    // The write path: PUT's Store.putProduct (one SQLite transaction: record, change-log
    // row, timeline event), then the indexer's batch for it (read the change log, project,
    // replace the document, commit last_seq with it: a durable Xapian commit per write).
    Benchmark("write/put + index, update (2k)", configuration: write) { benchmark async throws in
        for _ in benchmark.scaledIterations {
            let draft = drafts[next % drafts.count]
            next += 1
            blackHole(try await writes!.put(draft))
        }
    } setup: {
        try await setUpWrites()
    } teardown: {
        try await tearDownWrites()
    }

    // The same with ids the index has not seen (creates).
    Benchmark("write/put + index, create (2k)", configuration: write) { benchmark async throws in
        for _ in benchmark.scaledIterations {
            var draft = drafts[next % drafts.count]
            draft.id += "-new\(next)"
            next += 1
            blackHole(try await writes!.put(draft))
        }
    } setup: {
        try await setUpWrites()
    } teardown: {
        try await tearDownWrites()
    }

    // The durable half alone: Store.putProduct without indexing.
    Benchmark("write/put only, SQLite (2k)", configuration: write) { benchmark async throws in
        for _ in benchmark.scaledIterations {
            let draft = drafts[next % drafts.count]
            next += 1
            blackHole(try await writes!.putOnly(draft))
        }
    } setup: {
        try await setUpWrites()
    } teardown: {
        try await tearDownWrites()
    }
}
