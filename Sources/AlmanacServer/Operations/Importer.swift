import AlmanacCore
import AlmanacStore
import Foundation

/// `almanac import products|events FILE --tenant T`: the bulk path from a file, streamed in
/// chunks (one transaction per chunk), with a progress bar on stderr and the same report
/// as `_bulk`.
public struct Importer {
    public enum Collection: String, Sendable { case products, events }

    public struct Report: Sendable {
        public var accepted = 0
        public var duplicates = 0
        public var rejected: [BulkRejection] = []
        public var seq: Int64 = 0
        public var lines = 0
        public var seconds = 0.0
    }

    let store: Store
    let collection: Collection
    let context: WriteContext
    let chunkLines: Int
    let progress: Bool

    public init(store: Store, collection: Collection, tenant: String, actor: String? = "import", chunkLines: Int = 10_000, progress: Bool = true) {
        self.store = store
        self.collection = collection
        self.context = WriteContext(tenant: tenant, actor: actor)
        self.chunkLines = chunkLines
        self.progress = progress
    }

    public func run(path: String) async throws -> Report {
        guard let file = FileHandle(forReadingAtPath: path) else {
            throw AlmanacError(.badRequest, "cannot open \(path)")
        }
        defer { try? file.close() }
        let totalBytes = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        var report = Report()
        let started = Date()
        var bar = ProgressBar(totalBytes: totalBytes, enabled: progress)
        var pending: [UInt8] = []
        var readBytes = 0
        var lineNumber = 0
        var productDrafts: [ProductValidator.Draft] = []
        var eventDrafts: [(Int, EventValidator.Draft)] = []
        let productValidator = ProductValidator()
        let eventValidator = EventValidator()

        // One chunk's transaction runs on the store's writer while the next chunk is read,
        // parsed and validated here (at most one in flight, so chunks commit in file order).
        enum Written {
            case products(Int64)
            case events([(Int, EventValidator.Draft)], [EventAppendOutcome])
        }
        var inFlight: Task<Written, any Error>?
        let store = self.store

        func settle() async throws {
            guard let task = inFlight else { return }
            inFlight = nil
            switch try await task.value {
            case .products(let seq):
                report.seq = seq
            case .events(let drafts, let outcomes):
                for (i, outcome) in outcomes.enumerated() {
                    switch outcome {
                    case .accepted(_, let seq):
                        report.accepted += 1
                        report.seq = max(report.seq, seq)
                    case .duplicate: report.duplicates += 1
                    case .conflict(let id):
                        report.rejected.append(BulkRejection(line: drafts[i].0, id: id, error: "an event with this id exists with other content"))
                    }
                }
            }
        }

        func flush() async throws {
            switch collection {
            case .products:
                guard !productDrafts.isEmpty else { return }
                let drafts = productDrafts
                productDrafts.removeAll(keepingCapacity: true)
                try await settle()
                let writeContext = WriteContext(tenant: context.tenant, actor: context.actor)
                inFlight = Task { .products(try await store.bulkUpsertProducts(drafts, context: writeContext)) }
            case .events:
                guard !eventDrafts.isEmpty else { return }
                let drafts = eventDrafts
                eventDrafts.removeAll(keepingCapacity: true)
                try await settle()
                let writeContext = WriteContext(tenant: context.tenant, actor: context.actor)
                inFlight = Task { .events(drafts, try await store.appendEvents(drafts.map(\.1), context: writeContext)) }
            }
        }

        func handle(line: ArraySlice<UInt8>) {
            lineNumber += 1
            var slice = line
            if slice.last == UInt8(ascii: "\r") { slice = slice.dropLast() }
            if slice.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { return }
            report.lines += 1
            let value: JSONValue
            do { value = try JSONParser.parse(slice) } catch {
                report.rejected.append(BulkRejection(line: lineNumber, id: nil, error: "malformed JSON: \(error)"))
                return
            }
            switch collection {
            case .products:
                do {
                    productDrafts.append(try productValidator.validate(value, pathID: nil))
                    report.accepted += 1
                } catch {
                    report.rejected.append(BulkRejection(line: lineNumber, id: value["id"]?.stringValue, error: error.detail))
                }
            case .events:
                do { eventDrafts.append((lineNumber, try eventValidator.validate(value))) } catch {
                    report.rejected.append(BulkRejection(line: lineNumber, id: value["id"]?.stringValue, error: error.detail))
                }
            }
        }

        while true {
            let data = file.readData(ofLength: 1 << 20)
            if data.isEmpty { break }
            readBytes += data.count
            pending.append(contentsOf: data)
            var start = 0
            while let newline = pending[start...].firstIndex(of: UInt8(ascii: "\n")) {
                handle(line: pending[start..<newline])
                start = newline + 1
            }
            pending.removeSubrange(..<start)
            if productDrafts.count + eventDrafts.count >= chunkLines { try await flush() }
            bar.update(bytes: readBytes, lines: report.lines, elapsed: Date().timeIntervalSince(started))
        }
        if !pending.isEmpty { handle(line: pending[...]) }
        try await flush()
        try await settle()
        if report.seq == 0 { report.seq = try store.headSeq() }
        report.seconds = Date().timeIntervalSince(started)
        bar.finish(lines: report.lines, elapsed: report.seconds)
        report.rejected.sort { $0.line < $1.line }
        return report
    }
}

extension Importer.Report {
    public var json: JSONValue {
        var o = JSONObject()
        o["accepted"] = .int(Int64(accepted))
        o["duplicates"] = .int(Int64(duplicates))
        o["rejected"] = .array(rejected.map { ["line": .int(Int64($0.line)), "id": $0.id.map { .string($0) } ?? .null, "error": .string($0.error)] })
        o["seq"] = .int(seq)
        return .object(o)
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
