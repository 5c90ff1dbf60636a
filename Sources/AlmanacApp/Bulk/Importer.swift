import AlmanacCore
public import AlmanacStore
import Foundation

/// `almanac import`: a whole NDJSON file through the same `BulkPipeline` as `_bulk` (the
/// same validation, the same rule for repeated ids, the same report), committed in chunks
/// of 10 000 lines with one transaction in flight while the next chunk is read, and a
/// progress bar on stderr.
public struct Importer: Sendable {
    public enum Collection: String, Sendable {
        case products, events
    }

    let store: Store
    let collection: Collection
    let caller: WriteContext
    let progress: Bool

    public init(store: Store, collection: Collection, tenant: String, actor: String? = "import", progress: Bool = true) {
        self.store = store
        self.collection = collection
        caller = WriteContext(tenant: tenant, actor: actor)
        self.progress = progress
    }

    public func run(path: String) async throws -> BulkReport {
        switch collection {
        case .products:
            try await run(path: path, BulkPipeline(writer: ProductBulkWriter(store: store), caller: caller, limits: AlmanacConfiguration.Limits.importFile))
        case .events:
            try await run(path: path, BulkPipeline(writer: EventBulkWriter(store: store), caller: caller, limits: AlmanacConfiguration.Limits.importFile))
        }
    }

    private func run<W: BulkWriter>(path: String, _ pipeline: BulkPipeline<W>) async throws -> BulkReport {
        guard let file = FileHandle(forReadingAtPath: path) else {
            throw AlmanacError(.badRequest, "cannot open \(path)")
        }
        defer { try? file.close() }
        let totalBytes = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        let started = Date()
        var bar = ProgressBar(totalBytes: totalBytes, enabled: progress)
        while true {
            let data = file.readData(ofLength: 1 << 20)
            if data.isEmpty { break }
            try await pipeline.consume(data)
            bar.update(bytes: pipeline.bytesRead, lines: pipeline.linesRead, elapsed: Date().timeIntervalSince(started))
        }
        let report = try await pipeline.finish()
        bar.finish(lines: report.lines, elapsed: Date().timeIntervalSince(started))
        return report
    }
}

/// A one-line progress bar on stderr: percent, lines/s and ETA, redrawn at most 10 times a second.
struct ProgressBar {
    let totalBytes: Int
    let enabled: Bool
    var lastDraw = 0.0

    init(totalBytes: Int, enabled: Bool) {
        self.totalBytes = totalBytes
        self.enabled = enabled
    }

    mutating func update(bytes: Int, lines: Int, elapsed: Double) {
        guard enabled, elapsed - lastDraw >= 0.1 || bytes >= totalBytes else { return }
        lastDraw = elapsed
        let fraction = totalBytes > 0 ? min(1, Double(bytes) / Double(totalBytes)) : 0
        let width = 30
        let filled = Int(fraction * Double(width))
        let rate = elapsed > 0 ? Double(lines) / elapsed : 0
        let eta = fraction > 0 ? elapsed / fraction - elapsed : 0
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
        let text = String(format: "\r[%@] %3.0f%%  %d lines  %.0f lines/s  ETA %.0fs ", bar, fraction * 100, lines, rate, eta)
        FileHandle.standardError.write(Data(text.utf8))
    }

    func finish(lines: Int, elapsed: Double) {
        guard enabled else { return }
        let rate = elapsed > 0 ? Double(lines) / elapsed : 0
        FileHandle.standardError.write(Data(String(format: "\r%d lines in %.1fs (%.0f lines/s)%@\n", lines, elapsed, rate, String(repeating: " ", count: 30)).utf8))
    }
}
