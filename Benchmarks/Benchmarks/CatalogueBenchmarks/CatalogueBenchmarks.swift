// Issue 3: uncached search and typo expansion on the 63,666-product corpus
// (../shared/data/products.ndjson) with the 1000 queries of queries.txt, each beside the
// same queries through the raw Xapian shim. One iteration = one query, so the wall-clock
// percentiles are per-query latencies. Whole-corpus import throughput is measured by
// `catalogue-bench` (bench/catalogue.sh), not here.
//
//   cd Benchmarks && swift package benchmark --target CatalogueBenchmarks
//
// The first run imports the corpus into $TMPDIR/almanac-bench-cache (about a minute);
// later runs reuse it.
import AlmanacCore
import AlmanacIndex
import BenchSupport
import Benchmark
import Foundation

nonisolated(unsafe) var catalogue: AlmanacCatalogue?
nonisolated(unsafe) var raw: RawXapian.Searcher?
nonisolated(unsafe) var querySet: QuerySet?
nonisolated(unsafe) var list: [String] = []
nonisolated(unsafe) var rawFilters: [XapianQuery] = []
nonisolated(unsafe) var next = 0

enum Load {
    case all, threeWords, threeWordsMisspelled, eligibleWords, eligibleWordsMisspelled
}

func setUp(_ load: Load) async throws {
    let prepared = try await Prepared.indexes(for: BenchPaths.products)
    let c = try AlmanacCatalogue(dataDirectory: prepared.almanacDirectory)
    try c.openSearcher()
    catalogue = c
    let r = try RawXapian.Searcher(path: prepared.rawPath)
    raw = r
    let qs = try QuerySet()
    querySet = qs
    rawFilters = try qs.queries.indices.map { try r.filterQuery(category: qs.category($0), priceFrom: 100, priceTo: 5000) }
    let settings = SearchSettings.default
    switch load {
    case .all: list = qs.queries
    case .threeWords: list = qs.withWords(3)
    case .threeWordsMisspelled: list = qs.withWords(3).map(QuerySet.misspellLongest)
    case .eligibleWords, .eligibleWordsMisspelled:
        let words = qs.queries.flatMap { Tokenizer.words($0) }.filter {
            settings.typo.maxEdits(for: $0) > 0 && TypoVocabulary.isEligible($0)
        }
        list = load == .eligibleWords ? words : words.map(QuerySet.misspell)
    }
    next = 0
}

func tearDown() async throws {
    await catalogue?.close()
    catalogue = nil
    raw = nil
}

let benchmarks: @Sendable () -> Void = {
    let perQuery = Benchmark.Configuration(
        metrics: [.wallClock, .throughput, .mallocCountTotal],
        timeUnits: .microseconds, warmupIterations: 200, maxDuration: .seconds(30), maxIterations: 3000)
    let facets = ["brand", "category", "tags"]

    func almanac(_ name: String, _ load: Load, _ request: @escaping @Sendable (Int, String) -> ProductSearchRequest) {
        Benchmark(name, configuration: perQuery) { benchmark async throws in
            for _ in benchmark.scaledIterations {
                let i = next % list.count
                next += 1
                blackHole(try await catalogue!.search(request(i, list[i])))
            }
        } setup: {
            try await setUp(load)
        } teardown: {
            try await tearDown()
        }
    }

    func rawXapian(_ name: String, facets: Bool = false, filter: Bool = false) {
        Benchmark(name, configuration: perQuery) { benchmark throws in
            for _ in benchmark.scaledIterations {
                let i = next % list.count
                next += 1
                blackHole(try raw!.search(list[i], facets: facets, filter: filter ? rawFilters[i] : nil))
            }
        } setup: {
            try await setUp(.all)
        } teardown: {
            try await tearDown()
        }
    }

    // Uncached search, top 20: plain, with 3 facets, with the filter of query_filters.json.
    almanac("search/almanac", .all) { _, q in AlmanacCatalogue.request(q: q) }
    rawXapian("search/raw xapian")
    almanac("search/almanac, 3 facets", .all) { _, q in AlmanacCatalogue.request(q: q, facets: facets) }
    rawXapian("search/raw xapian, 3 facets", facets: true)
    almanac("search/almanac, filter", .all) { i, q in AlmanacCatalogue.request(q: q, filter: querySet!.filter(i)) }
    rawXapian("search/raw xapian, filter", filter: true)

    // Typo expansion: candidates per query word (>= 5 characters, no digit), as typed and
    // misspelled; 3-word queries with typo tolerance on and off.
    Benchmark("typo/candidates, words as typed", configuration: perQuery) { benchmark in
        for _ in benchmark.scaledIterations {
            let w = list[next % list.count]
            next += 1
            blackHole(catalogue!.vocabulary!.candidates(for: w, maxDistance: SearchSettings.default.typo.maxEdits(for: w)))
        }
    } setup: {
        try await setUp(.eligibleWords)
    } teardown: {
        try await tearDown()
    }
    Benchmark("typo/candidates, words misspelled", configuration: perQuery) { benchmark in
        for _ in benchmark.scaledIterations {
            let w = list[next % list.count]
            next += 1
            blackHole(catalogue!.vocabulary!.candidates(for: w, maxDistance: SearchSettings.default.typo.maxEdits(for: w)))
        }
    } setup: {
        try await setUp(.eligibleWordsMisspelled)
    } teardown: {
        try await tearDown()
    }
    almanac("typo/3 words, typo on", .threeWords) { _, q in AlmanacCatalogue.request(q: q, typo: true) }
    almanac("typo/3 words, typo off", .threeWords) { _, q in AlmanacCatalogue.request(q: q, typo: false) }
    almanac("typo/3 words misspelled, typo on", .threeWordsMisspelled) { _, q in AlmanacCatalogue.request(q: q, typo: true) }
    almanac("typo/3 words misspelled, typo off", .threeWordsMisspelled) { _, q in AlmanacCatalogue.request(q: q, typo: false) }
}
