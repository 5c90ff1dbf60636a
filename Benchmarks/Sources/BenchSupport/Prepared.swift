import Foundation

/// Indexes built once and reused by later benchmark processes (package-benchmark runs each
/// benchmark in its own process; importing 63k products for each would dominate the run).
///
/// Kept under `$ALMANAC_BENCH_CACHE` (default `$TMPDIR/almanac-bench-cache`), one folder per
/// corpus file and size, with a `ready` marker written last; delete the folder to rebuild.
public enum Prepared {
    public struct Indexes: Sendable {
        public var almanacDirectory: String
        public var rawPath: String
        public var times: ImportTimes?
        public var rawSeconds: Double?
    }

    public static var cacheRoot: String {
        let env = ProcessInfo.processInfo.environment
        return env["ALMANAC_BENCH_CACHE"] ?? ((env["TMPDIR"] ?? "/tmp") + "/almanac-bench-cache")
    }

    /// The Almanac data directory and raw index for `corpusPath`, building them if needed.
    public static func indexes(for corpusPath: String) async throws -> Indexes {
        let size = (try? FileManager.default.attributesOfItem(atPath: corpusPath)[.size] as? Int) ?? 0
        let name = URL(fileURLWithPath: corpusPath).deletingPathExtension().lastPathComponent
        let dir = cacheRoot + "/\(name)-\(size)"
        let almanac = dir + "/almanac"
        let raw = dir + "/raw"
        let marker = dir + "/ready"
        if FileManager.default.fileExists(atPath: marker) {
            return Indexes(almanacDirectory: almanac, rawPath: raw)
        }
        try? FileManager.default.removeItem(atPath: dir)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let catalogue = try AlmanacCatalogue(dataDirectory: almanac)
        let times = try await catalogue.importProducts(path: corpusPath)
        await catalogue.close()
        let corpus = try Corpus(path: corpusPath)
        let rawSeconds = try RawXapian.build(lines: corpus.lines, path: raw)
        FileManager.default.createFile(atPath: marker, contents: Data("ok\n".utf8))
        return Indexes(almanacDirectory: almanac, rawPath: raw, times: times, rawSeconds: rawSeconds)
    }
}
