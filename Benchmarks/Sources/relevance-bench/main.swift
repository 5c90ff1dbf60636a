// relevance-bench: the known-item benchmark of docs/relevance.md for Almanac (in process,
// through ProductSearcher: the service's search path without HTTP and cache) and raw
// Xapian (RawXapian: BM25, every word required as its stem, QueryParser-style), over the
// query sets bench/relevance_queries.py writes. bench/relevance.sh drives it and runs
// tantivy (bench/relevance_tantivy.py) on the same sets.
//
//   relevance-bench --queries SETS.tsv [--products FILE] [--work DIR] [--json OUT] [--misses OUT]
//
// `--work DIR` keeps the imported catalogue and the raw index there and reuses them on
// the next run (the same build only: the index format may change between builds).
import AlmanacCore
import AlmanacIndex
import BenchSupport
import Foundation

struct Options {
    var products = BenchPaths.products
    var queries = ""
    var work: String?
    var json: String?
    var misses: String?

    init() {
        var args = CommandLine.arguments.dropFirst()
        while let a = args.popFirst() {
            switch a {
            case "--products": products = args.popFirst()!
            case "--queries": queries = args.popFirst()!
            case "--work": work = args.popFirst()!
            case "--json": json = args.popFirst()!
            case "--misses": misses = args.popFirst()!
            default:
                FileHandle.standardError.write(Data("unknown argument \(a)\n".utf8))
                exit(2)
            }
        }
        if queries.isEmpty {
            FileHandle.standardError.write(Data("--queries SETS.tsv is required\n".utf8))
            exit(2)
        }
    }
}

struct KnownItem {
    var set: String
    var query: String
    var expected: String
}

/// success@1, success@10 and MRR@10 of one engine on one set.
struct Score {
    var n = 0
    var at1 = 0
    var at10 = 0
    var reciprocal = 0.0
    var latency = Samples()

    mutating func add(rank: Int?) {
        n += 1
        guard let rank, rank < 10 else { return }
        if rank == 0 { at1 += 1 }
        at10 += 1
        reciprocal += 1 / Double(rank + 1)
    }

    var json: [String: Any] {
        [
            "n": n, "success_at_1": Double(at1) / Double(max(n, 1)), "success_at_10": Double(at10) / Double(max(n, 1)),
            "mrr_at_10": reciprocal / Double(max(n, 1)), "p50_ms": latency.p50, "p99_ms": latency.p99,
        ]
    }
}

func log(_ s: String) {
    print(s)
    fflush(nil)
}

let options = Options()
let items: [KnownItem] = try String(contentsOfFile: options.queries, encoding: .utf8)
    .split(separator: "\n").compactMap { line in
        let parts = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
        return parts.count == 3 ? KnownItem(set: parts[0], query: parts[1], expected: parts[2]) : nil
    }
log("# relevance-bench — \(machineDescription())")
log("load average at start: \((try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").prefix(3).joined(separator: " ") ?? "?")")
let corpus = try Corpus(path: options.products)
log("corpus: \(corpus.count) products; \(items.count) known-item queries from \(options.queries)")

let work = try options.work ?? BenchPaths.temporaryDirectory("relevance")
try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
let almanacDir = work + "/almanac"
let rawPath = work + "/raw"

if !FileManager.default.fileExists(atPath: almanacDir + "/index/products") {
    let catalogue = try AlmanacCatalogue(dataDirectory: almanacDir)
    let times = try await catalogue.importProducts(path: options.products)
    await catalogue.close()
    log("almanac import: \(times.products) products in \(fmt(times.totalSeconds, 1)) s")
}
if !FileManager.default.fileExists(atPath: rawPath) {
    let seconds = try RawXapian.build(lines: corpus.lines, path: rawPath)
    log("raw xapian build: \(fmt(seconds, 1)) s")
}

let catalogue = try AlmanacCatalogue(dataDirectory: almanacDir)
try catalogue.openSearcher()
let raw = try RawXapian.Searcher(path: rawPath)

func rank(_ ids: [String], _ expected: String) -> Int? { ids.firstIndex(of: expected) }

func rawIDs(_ result: XapianSearchResult) -> [String] {
    result.hits.compactMap { hit in
        guard case .object(let o)? = try? JSONParser.parse(hit.data) else { return nil }
        return o["id"]?.stringValue
    }
}

var scores: [String: [String: Score]] = ["almanac": [:], "raw_xapian": [:]]
var misses: [String] = []
// One warm-up pass over the first queries, then every query once per engine.
for item in items.prefix(200) {
    _ = try await catalogue.search(AlmanacCatalogue.request(q: item.query, limit: 10))
    _ = try raw.search(item.query, limit: 10)
}
for item in items {
    let (a, ta) = try await timedAsync { try await catalogue.search(AlmanacCatalogue.request(q: item.query, limit: 10)) }
    let (r, tr) = try timed { try raw.search(item.query, limit: 10) }
    let almanacRank = rank(a.hits.map(\.id), item.expected)
    scores["almanac"]![item.set, default: Score()].add(rank: almanacRank)
    scores["almanac"]![item.set]!.latency.add(ta)
    scores["raw_xapian"]![item.set, default: Score()].add(rank: rank(rawIDs(r), item.expected))
    scores["raw_xapian"]![item.set]!.latency.add(tr)
    if almanacRank != 0 {
        let top = a.hits.prefix(3).map(\.id).joined(separator: ",")
        misses.append("\(item.set)\t\(item.query)\t\(item.expected)\t\(almanacRank.map { String($0 + 1) } ?? "-")\t\(top)\t\(a.corrected ?? "")")
    }
}

log("")
log("| engine | set | n | success@1 | success@10 | MRR@10 | p50 ms |")
log("|---|---|---|---|---|---|---|")
for engine in ["almanac", "raw_xapian"] {
    for set in scores[engine]!.keys.sorted() {
        let s = scores[engine]![set]!
        log(
            "| \(engine) | \(set) | \(s.n) | \(fmt(Double(s.at1) / Double(s.n))) | \(fmt(Double(s.at10) / Double(s.n))) | \(fmt(s.reciprocal / Double(s.n))) | \(fmt(s.latency.p50)) |"
        )
    }
}
if let path = options.misses {
    try (misses.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
    log("almanac misses at rank 1 (set, query, expected, rank, top 3, corrected): \(path)")
}
if let path = options.json {
    var report: [String: Any] = ["machine": machineDescription()]
    for (engine, sets) in scores { report[engine] = sets.mapValues(\.json) }
    let data = try JSONSerialization.data(withJSONObject: report, options: [.prettyPrinted, .sortedKeys])
    try data.write(to: URL(fileURLWithPath: path))
}
await catalogue.close()
if options.work == nil { try? FileManager.default.removeItem(atPath: work) }
