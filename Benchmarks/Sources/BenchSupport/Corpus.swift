import AlmanacCore
import Foundation

/// Where the benchmark inputs live. The shared corpora sit beside the project
/// (`../shared/data`); `ALMANAC_BENCH_DATA` points elsewhere.
public enum BenchPaths {
    /// The project root (this file is `Benchmarks/Sources/BenchSupport/Corpus.swift`).
    public static let root: String = {
        if let explicit = ProcessInfo.processInfo.environment["ALMANAC_ROOT"] { return explicit }
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { url.deleteLastPathComponent() }
        return url.path
    }()

    public static var sharedData: String {
        ProcessInfo.processInfo.environment["ALMANAC_BENCH_DATA"]
            ?? URL(fileURLWithPath: root).deletingLastPathComponent().appendingPathComponent("shared/data").path
    }

    public static var products2k: String { root + "/fixtures/products_2k.ndjson" }
    public static var products: String { sharedData + "/products.ndjson" }
    public static var queries: String { sharedData + "/queries.txt" }
    public static var queryFilters: String { sharedData + "/query_filters.json" }

    /// A fresh directory under `$TMPDIR` (or /tmp); the caller removes it.
    public static func temporaryDirectory(_ label: String) throws -> String {
        let base = ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp"
        let path = base + "/almanac-bench-\(label)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}

/// An NDJSON product file held in memory: the raw lines (what both Almanac and the raw
/// Xapian baseline start from) and their validated drafts.
public struct Corpus: Sendable {
    public let path: String
    public let lines: [[UInt8]]

    public init(path: String, limit: Int? = nil) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw AlmanacError(.badRequest, "cannot read \(path)")
        }
        var lines: [[UInt8]] = []
        let bytes = [UInt8](data)
        var start = 0
        for i in bytes.indices where bytes[i] == UInt8(ascii: "\n") {
            if i > start { lines.append(Array(bytes[start..<i])) }
            start = i + 1
            if let limit, lines.count >= limit { break }
        }
        if start < bytes.count, limit.map({ lines.count < $0 }) ?? true { lines.append(Array(bytes[start...])) }
        self.path = path
        self.lines = lines
    }

    public var count: Int { lines.count }

    /// Every line validated as `PUT` would (lines that fail are skipped: the corpora have none).
    public func drafts() -> [ProductValidator.Draft] {
        let validator = ProductValidator()
        return lines.compactMap { line in
            guard let value = try? JSONParser.parse(line) else { return nil }
            return try? validator.validate(value, pathID: nil)
        }
    }
}

/// The fixed query set and the filter rule of `query_filters.json`.
public struct QuerySet: Sendable {
    public let queries: [String]
    public let categories: [String]
    public let priceFrom: Int64 = 100
    public let priceTo: Int64 = 5000

    public init(path: String = BenchPaths.queries, filters: String = BenchPaths.queryFilters) throws {
        guard let text = FileManager.default.contents(atPath: path).map({ String(decoding: $0, as: UTF8.self) }) else {
            throw AlmanacError(.badRequest, "cannot read \(path)")
        }
        queries = text.split(separator: "\n").map { String($0).trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        var categories = ["main/libs", "main/libdevel", "main/python", "main/doc", "main/perl"]
        if let data = FileManager.default.contents(atPath: filters),
            case .object(let o)? = try? JSONParser.parse([UInt8](data)),
            case .array(let list)? = o["categories"]
        {
            categories = list.compactMap(\.stringValue)
        }
        self.categories = categories
    }

    /// Query i's category (`query i uses categories[i % 5]; price in [100, 5000)`).
    public func category(_ i: Int) -> String { categories[i % categories.count] }

    /// Query i's filter in Almanac's filter language.
    public func filter(_ i: Int) -> String {
        "category = \"\(category(i))\" AND price >= \(priceFrom) AND price < \(priceTo)"
    }

    /// The queries of exactly `n` words.
    public func withWords(_ n: Int) -> [String] {
        queries.filter { Tokenizer.words($0).count == n }
    }

    /// A deterministic misspelling of `word`: two middle letters swapped (a transposition,
    /// one edit), or for short words a letter doubled.
    public static func misspell(_ word: String) -> String {
        var s = Array(word)
        if s.count >= 5 {
            let i = s.count / 2
            if s[i] != s[i - 1] { s.swapAt(i, i - 1) } else { s.remove(at: i) }
        } else if let last = s.last {
            s.append(last)
        }
        return String(s)
    }

    /// `query` with its longest word misspelled.
    public static func misspellLongest(_ query: String) -> String {
        let words = Tokenizer.words(query)
        guard let longest = words.indices.max(by: { words[$0].count < words[$1].count }) else { return query }
        var out = words
        out[longest] = misspell(words[longest])
        return out.joined(separator: " ")
    }
}
