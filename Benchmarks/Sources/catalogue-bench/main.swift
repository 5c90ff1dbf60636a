// catalogue-bench: the whole-corpus catalogue figures of BENCHMARKS.md in one process, each
// beside its raw-Xapian baseline measured in the same run (interleaved, so the noise of a
// shared machine hits both alike).
//
//   swift run -c release catalogue-bench [--products FILE] [--queries FILE] [--passes N]
//       [--import-runs N] [--only import|search|typo] [--json OUT] [--keep] [--work DIR]
//       [--product-shards N]
//
// Sections:
//   import  Almanac's `almanac import` path in process (Importer -> SQLite committed, then
//           Maintenance.catchUp -> Xapian committed) vs RawXapian.build of the same lines.
//   search  ProductSearcher.search (uncached: no Redis in the path) vs RawXapian.Searcher,
//           top 20, for every query: plain, 3 facets (brand, category, tags), filtered.
//   typo    TypoVocabulary.candidates per query word; 3-word queries typo on vs off.
import AlmanacCore
import AlmanacIndex
import BenchSupport
import Foundation

struct Options {
    var products = BenchPaths.products
    var queries = BenchPaths.queries
    var passes = 3
    var importRuns = 1
    var only: Set<String> = ["import", "search", "typo"]
    var json: String?
    var keep = false
    /// Reuse this directory (from an earlier `--keep` run): its imported corpus and raw
    /// index are searched without importing again, so two builds compare on the same data.
    var work: String?
    /// The product index's shard count (`--product-shards`; default: one per core).
    var shards: Int?

    init() {
        var args = CommandLine.arguments.dropFirst()
        while let a = args.popFirst() {
            switch a {
            case "--products": products = args.popFirst()!
            case "--queries": queries = args.popFirst()!
            case "--passes": passes = Int(args.popFirst()!)!
            case "--import-runs": importRuns = Int(args.popFirst()!)!
            case "--only": only = Set(args.popFirst()!.split(separator: ",").map(String.init))
            case "--json": json = args.popFirst()!
            case "--keep": keep = true
            case "--work": work = args.popFirst()!; keep = true
            case "--product-shards": shards = Int(args.popFirst()!)!
            default:
                FileHandle.standardError.write(Data("unknown argument \(a)\n".utf8))
                exit(2)
            }
        }
    }
}

let options = Options()
var report: [String: Any] = ["machine": machineDescription(), "products_file": options.products]
func log(_ s: String) {
    print(s)
    fflush(nil)
}

log("# catalogue-bench — \(machineDescription())")
let corpus = try Corpus(path: options.products)
let querySet = try QuerySet(path: options.queries)
log("corpus: \(corpus.count) products from \(options.products); \(querySet.queries.count) queries")

let work = try options.work ?? BenchPaths.temporaryDirectory("catalogue")
func cleanUp() { if !options.keep { try? FileManager.default.removeItem(atPath: work) } else { log("kept \(work)") } }
let rawPath = work + "/raw"
let almanacDir = work + "/almanac"

if options.only == ["raw"] {
    // Only the raw-Xapian build (bench/catalogue.sh brackets `almanac import` with it).
    let seconds = try RawXapian.build(lines: corpus.lines, path: rawPath)
    log("raw xapian build: \(fmt(seconds, 2)) s = \(fmt(Double(corpus.count) / seconds, 0)) docs/s")
    cleanUp()
    exit(0)
}

if options.only == ["raw-variants"] {
    // Attribution: what commit frequency and replace-by-unique-term cost raw Xapian.
    log("\n## raw xapian variants (\(corpus.count) documents), interleaved, 2 rounds")
    let variants: [(String, Int?, Bool)] = [
        ("add, one commit", nil, false), ("add, commit every 5000", 5000, false),
        ("replace, one commit", nil, true), ("add, one commit, no positions", nil, false),
        ("termfreq check, then add, one commit", nil, false),
    ]
    var seconds = [[Double]](repeating: [], count: variants.count)
    for _ in 0..<2 {
        for (i, v) in variants.enumerated() {
            seconds[i].append(
                try RawXapian.build(
                    lines: corpus.lines, path: rawPath, positions: i != 3, commitEvery: v.1, replace: v.2,
                    checkThenAdd: i == 4))
        }
    }
    for (i, v) in variants.enumerated() {
        let mean = seconds[i].reduce(0, +) / Double(seconds[i].count)
        let base = seconds[0].reduce(0, +) / Double(seconds[0].count)
        log("| \(v.0) | \(fmt(mean, 2)) s | \(fmt(Double(corpus.count) / mean, 0)) docs/s | \(fmt(base / mean, 2))x |")
    }
    cleanUp()
    exit(0)
}

// MARK: - Import

func runImport(_ run: Int) async throws -> ImportTimes {
    try? FileManager.default.removeItem(atPath: almanacDir)
    let catalogue = try AlmanacCatalogue(dataDirectory: almanacDir, shards: options.shards)
    let times = try await catalogue.importProducts(path: options.products)
    await catalogue.close()
    return times
}

if options.only.contains("import") || !FileManager.default.fileExists(atPath: almanacDir) {
    log("\n## import (\(corpus.count) products)")
    var rawSeconds: [Double] = []
    var almanacTimes: [ImportTimes] = []
    // raw, almanac, raw, ...: each Almanac run is bracketed by raw runs.
    rawSeconds.append(try RawXapian.build(lines: corpus.lines, path: rawPath))
    log("raw xapian build: \(fmt(rawSeconds.last!, 2)) s = \(fmt(Double(corpus.count) / rawSeconds.last!, 0)) docs/s")
    for run in 0..<options.importRuns {
        let t = try await runImport(run)
        almanacTimes.append(t)
        log(
            "almanac import: durable \(fmt(t.durableSeconds, 2)) s (\(fmt(t.durableRate, 0))/s), "
                + "index \(fmt(t.indexSeconds, 2)) s, total \(fmt(t.totalSeconds, 2)) s (\(fmt(t.indexedRate, 0))/s)")
        rawSeconds.append(try RawXapian.build(lines: corpus.lines, path: rawPath))
        log("raw xapian build: \(fmt(rawSeconds.last!, 2)) s = \(fmt(Double(corpus.count) / rawSeconds.last!, 0)) docs/s")
    }
    let rawMean = rawSeconds.reduce(0, +) / Double(rawSeconds.count)
    let rawRate = Double(corpus.count) / rawMean
    let best = almanacTimes.min { $0.totalSeconds < $1.totalSeconds }!
    log("")
    log("| figure | almanac | raw xapian (mean of \(rawSeconds.count)) | ratio | target |")
    log("|---|---|---|---|---|")
    log(
        "| durable (SQLite committed) | \(fmt(best.durableRate, 0)) products/s | — | — | >= 10000/s: \(best.durableRate >= 10_000 ? "met" : "not met") |")
    log(
        "| indexed (Xapian committed) | \(fmt(best.indexedRate, 0)) products/s | \(fmt(rawRate, 0)) docs/s | \(fmt(best.indexedRate / rawRate, 2))x | >= 10000/s: \(best.indexedRate >= 10_000 ? "met" : "not met"); >= 0.8x: \(best.indexedRate / rawRate >= 0.8 ? "met" : "not met") |")
    log("| index phase alone | \(fmt(Double(best.products) / best.indexSeconds, 0)) products/s | \(fmt(rawRate, 0)) docs/s | \(fmt(Double(best.products) / best.indexSeconds / rawRate, 2))x | — |")
    report["import"] = [
        "products": best.products, "durable_s": best.durableSeconds, "index_s": best.indexSeconds,
        "durable_rate": best.durableRate, "indexed_rate": best.indexedRate, "raw_s": rawSeconds,
        "raw_rate": rawRate, "ratio": best.indexedRate / rawRate,
    ] as [String: Any]
}

// MARK: - Search

let catalogue = try AlmanacCatalogue(dataDirectory: almanacDir, shards: options.shards)
try catalogue.openSearcher()
let raw = try RawXapian.Searcher(path: rawPath)
let queries = querySet.queries

struct Variant {
    var name: String
    var almanac = Samples()
    var raw = Samples()
    var almanacHits = 0
    var rawHits = 0
}

if options.only.contains("search") {
    log("\n## uncached search, top 20, \(queries.count) queries x \(options.passes) passes (after a warm-up pass)")
    var variants = [Variant(name: "plain"), Variant(name: "3 facets"), Variant(name: "filter")]
    var hop = Samples()
    var rawMatching = Samples()
    let facets = ["brand", "category", "tags"]
    for pass in 0...options.passes {
        let record = pass > 0
        for (i, q) in queries.enumerated() {
            let filterRaw = try raw.filterQuery(category: querySet.category(i), priceFrom: 100, priceTo: 5000)
            for v in variants.indices {
                let request: ProductSearchRequest
                switch v {
                case 0: request = AlmanacCatalogue.request(q: q)
                case 1: request = AlmanacCatalogue.request(q: q, facets: facets)
                default: request = AlmanacCatalogue.request(q: q, filter: querySet.filter(i))
                }
                let (a, ta) = try await timedAsync { try await catalogue.search(request) }
                let (r, tr) = try timed { try raw.search(q, facets: v == 1, filter: v == 2 ? filterRaw : nil) }
                if record {
                    variants[v].almanac.add(ta)
                    variants[v].raw.add(tr)
                    if !a.hits.isEmpty { variants[v].almanacHits += 1 }
                    if !r.hits.isEmpty { variants[v].rawHits += 1 }
                }
            }
            if record {
                let (_, th) = try await timedAsync { try await catalogue.searcher!.readers.withReader { _ in 0 } }
                hop.add(th)
                let (_, tm) = try timed { try raw.search(q, matchingTerms: true) }
                rawMatching.add(tm)
            }
        }
    }
    log("")
    log("| variant | almanac p50 / p99 ms | raw xapian p50 / p99 ms | p50 diff ms | p99 ratio | queries with hits (almanac / raw) |")
    log("|---|---|---|---|---|---|")
    var searchReport: [String: Any] = [:]
    for v in variants {
        let n = v.almanac.count / max(1, options.passes)
        log(
            "| \(v.name) | \(fmt(v.almanac.p50)) / \(fmt(v.almanac.p99)) | \(fmt(v.raw.p50)) / \(fmt(v.raw.p99)) | +\(fmt(v.almanac.p50 - v.raw.p50)) | \(fmt(v.almanac.p99 / v.raw.p99, 2))x | \(v.almanacHits / max(1, options.passes)) / \(v.rawHits / max(1, options.passes)) of \(n) |"
        )
        searchReport[v.name] = [
            "almanac_p50": v.almanac.p50, "almanac_p99": v.almanac.p99, "almanac_mean": v.almanac.mean,
            "raw_p50": v.raw.p50, "raw_p99": v.raw.p99, "raw_mean": v.raw.mean,
        ]
    }
    log("reader-pool hop alone (withReader { _ in 0 }): p50 \(fmt(hop.p50)) ms, p99 \(fmt(hop.p99)) ms")
    log("raw xapian plain with matching terms per hit (as Almanac asks for): p50 \(fmt(rawMatching.p50)) ms, p99 \(fmt(rawMatching.p99)) ms")
    searchReport["raw_matching_terms_p50"] = rawMatching.p50
    searchReport["raw_matching_terms_p99"] = rawMatching.p99
    searchReport["pool_hop_p50"] = hop.p50
    searchReport["pool_hop_p99"] = hop.p99
    report["search"] = searchReport
}

// MARK: - Typo

if options.only.contains("typo") {
    log("\n## typo expansion")
    let vocabulary = catalogue.vocabulary!
    let settings = SearchSettings.default
    var words: [String] = []
    for q in queries { words.append(contentsOf: Tokenizer.words(q)) }
    let eligible = words.filter { settings.typo.maxEdits(for: $0) > 0 && TypoVocabulary.isEligible($0) }
    let misspelled = eligible.map(QuerySet.misspell)
    var asTyped = Samples(), typos = Samples()
    var candidatesFound = 0
    for pass in 0...options.passes {
        for (w, m) in zip(eligible, misspelled) {
            let (c1, t1) = timed { vocabulary.candidates(for: w, maxDistance: settings.typo.maxEdits(for: w)) }
            let (c2, t2) = timed { vocabulary.candidates(for: m, maxDistance: settings.typo.maxEdits(for: m)) }
            if pass > 0 {
                asTyped.add(t1)
                typos.add(t2)
                if !c2.isEmpty { candidatesFound += 1 }
            }
            _ = c1
        }
    }
    log("vocabulary: \(vocabulary.count) words; \(eligible.count) eligible query words (>= 5 chars, no digit)")
    log("| TypoVocabulary.candidates | p50 ms | p99 ms | max ms |")
    log("|---|---|---|---|")
    log("| query words as typed | \(fmt(asTyped.p50, 4)) | \(fmt(asTyped.p99, 4)) | \(fmt(asTyped.max, 3)) |")
    log("| the same words misspelled (1 transposition) | \(fmt(typos.p50, 4)) | \(fmt(typos.p99, 4)) | \(fmt(typos.max, 3)) |")

    let threeWord = querySet.withWords(3)
    let threeWordTypo = threeWord.map(QuerySet.misspellLongest)
    var on = Samples(), off = Samples(), onT = Samples(), offT = Samples()
    var corrected = 0
    for pass in 0...options.passes {
        for (q, qt) in zip(threeWord, threeWordTypo) {
            let (_, a) = try await timedAsync { try await catalogue.search(AlmanacCatalogue.request(q: q, typo: true)) }
            let (_, b) = try await timedAsync { try await catalogue.search(AlmanacCatalogue.request(q: q, typo: false)) }
            let (r, c) = try await timedAsync { try await catalogue.search(AlmanacCatalogue.request(q: qt, typo: true)) }
            let (_, d) = try await timedAsync { try await catalogue.search(AlmanacCatalogue.request(q: qt, typo: false)) }
            if pass > 0 {
                on.add(a)
                off.add(b)
                onT.add(c)
                offT.add(d)
                if r.corrected != nil { corrected += 1 }
            }
        }
    }
    log("")
    log("3-word queries: \(threeWord.count) (x \(options.passes) passes)")
    log("| 3-word query | typo on p50 / p99 ms | typo off p50 / p99 ms | added at p99 ms | target (<= 1 ms) |")
    log("|---|---|---|---|---|")
    log(
        "| as typed | \(fmt(on.p50)) / \(fmt(on.p99)) | \(fmt(off.p50)) / \(fmt(off.p99)) | \(fmt(on.p99 - off.p99)) | \(on.p99 - off.p99 <= 1 ? "met" : "not met") |")
    log(
        "| longest word misspelled | \(fmt(onT.p50)) / \(fmt(onT.p99)) | \(fmt(offT.p50)) / \(fmt(offT.p99)) | \(fmt(onT.p99 - offT.p99)) | \(onT.p99 - offT.p99 <= 1 ? "met" : "not met") |")
    log("misspelled queries answered with query.corrected: \(corrected / max(1, options.passes)) of \(threeWord.count)")
    report["typo"] = [
        "candidates_p50": asTyped.p50, "candidates_p99": asTyped.p99, "candidates_typo_p50": typos.p50,
        "candidates_typo_p99": typos.p99, "three_on_p99": on.p99, "three_off_p99": off.p99,
        "three_typo_on_p99": onT.p99, "three_typo_off_p99": offT.p99,
    ]
}

let rss = residentSetKB()
log("\nRSS of this process (store + index readers + typo vocabulary + corpus in memory): \(rss.current / 1024) MiB now, peak \(rss.peak / 1024) MiB")
report["rss_mib"] = rss.current / 1024
report["rss_peak_mib"] = rss.peak / 1024
await catalogue.close()

if let path = options.json {
    let data = try JSONSerialization.data(withJSONObject: report, options: [.prettyPrinted, .sortedKeys])
    try data.write(to: URL(fileURLWithPath: path))
}
cleanUp()
