// Whole-history timeline figures (BENCHMARKS.md, "Timeline") on ../shared/data/events.ndjson,
// in process (no HTTP), each beside a baseline measured in the same run:
//   ingest   durable (SQLite committed) and indexed (month databases committed) events/s,
//            vs raw Xapian adding the same prepared documents to one database;
//   search   newest 20 over all history and over one month, without and with q, p50/p99;
//   aggs     daily histogram and top-10 actors over all events, hourly histogram of one
//            source over one month: resident columns (what serves requests without q) vs
//            the index path (Xapian collect spy, what serves requests with q).
// bench/timeline.sh drives it and adds the CLI import and the SQLite baseline.
import AlmanacCore
import AlmanacIndex
import AlmanacStore
import Foundation
import NIOPosix

@main
struct TimelineBench {
    static func main() async throws {
        var args = Array(CommandLine.arguments.dropFirst())
        func option(_ name: String) -> String? {
            guard let i = args.firstIndex(of: name), i + 1 < args.count else { return nil }
            defer { args.removeSubrange(i...(i + 1)) }
            return args[i + 1]
        }
        let path = option("--events") ?? "../shared/data/events.ndjson"
        let runs = Int(option("--runs") ?? "200") ?? 200
        let keep = option("--keep")
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: true)
        print("# timeline-bench: \(lines.count) events from \(path); runs per query: \(runs)")
        print("machine: nproc \(ProcessInfo.processInfo.activeProcessorCount)")

        let dir = keep ?? (NSTemporaryDirectory() + "/timeline-bench-\(UUID().uuidString.prefix(8))")
        try? FileManager.default.removeItem(atPath: dir)
        try FileManager.default.createDirectory(atPath: dir + "/index", withIntermediateDirectories: true)
        defer { if keep == nil { try? FileManager.default.removeItem(atPath: dir) } }

        // Parse once (the HTTP/CLI paths parse and validate too; counted separately).
        let (drafts, parseMs) = timed {
            lines.map { try! EventValidator().validate(try! JSONParser.parse(String($0))) }
        }
        print(String(format: "parse+validate: %.0f ms (%.0f events/s)", parseMs, Double(lines.count) / parseMs * 1000))

        // Durable: SQLite transactions of 10 000 events, as `almanac import` does.
        let store = try Store(path: dir + "/almanac.sqlite3")
        let context = WriteContext(tenant: "bench", actor: "bench")
        let (_, durableMs) = try await timedAsync {
            var i = 0
            while i < drafts.count {
                _ = try await store.appendEvents(Array(drafts[i..<min(i + 10_000, drafts.count)]), context: context)
                i += 10_000
            }
        }
        print(String(format: "durable (SQLite committed): %.0f ms, %.0f events/s", durableMs, Double(drafts.count) / durableMs * 1000))

        // Indexed: the month databases, batches of 20 000 as the indexer reads them.
        let columns = EventColumnStore()
        let slots = SlotRegistry(path: dir + "/index/events/slots.json")
        let writer = try EventIndexWriter(directory: dir + "/index/events", slots: slots, columns: columns)
        let (_, indexMs) = try timed {
            while true {
                let batch = try store.eventChanges(after: writer.lastSeq, limit: 20_000)
                if batch.changes.isEmpty { break }
                try writer.apply(
                    batch.changes.map { EventIndexChange(seq: $0.seq, tenant: $0.tenant, body: $0.body) }, watermark: batch.watermark,
                    language: { _ in "english" })
            }
        }
        try writer.close()
        print(String(format: "indexed (month databases committed, columns fed): %.0f ms, %.0f events/s", indexMs, Double(drafts.count) / indexMs * 1000))
        print(String(format: "durable + indexed, one after the other: %.0f events/s", Double(drafts.count) / (durableMs + indexMs) * 1000))

        // Raw Xapian baseline: the same documents, prepared beforehand, added to one database.
        let rawDir = dir + "/raw"
        let events: [Event] = drafts.enumerated().map { i, d in d.event(id: d.id ?? "e\(i)", receivedAt: Timestamp(microseconds: 0), seq: Int64(i + 1)) }
        let stemmer = try XapianStemmer(language: "english")
        let rawSlots = SlotRegistry(path: nil)
        let docs = events.map { EventProjection(slots: rawSlots).document(tenant: "bench", event: $0, json: $0.jsonBytes, stemmer: stemmer) }
        let raw = try XapianWritableDatabase(path: rawDir)
        var batch = XapianTermBatch(reservingCapacity: 16 << 10)
        let (_, rawMs) = try timed {
            for d in docs {
                // What IndexDocument.xapianDocument does (internal to AlmanacIndex).
                let doc = XapianDocument()
                batch.removeAll()
                for p in d.postings { batch.addPosting(p.term, position: p.position, wdfIncrement: p.wdf) }
                for (term, wdf) in d.terms { batch.addTerm(term, wdfIncrement: wdf) }
                for term in d.booleanTerms { batch.addBooleanTerm(term) }
                try doc.add(batch)
                for (slot, value) in d.values { doc.setValue(slot, value) }
                doc.setData(d.data)
                try raw.add(doc)
            }
            try raw.commit()
        }
        try raw.close()
        print(String(format: "raw Xapian (prepared documents, one database): %.0f ms, %.0f docs/s; indexed / raw = %.2f",
            rawMs, Double(docs.count) / rawMs * 1000, rawMs / indexMs))

        // Reopen as a server would: columns loaded from the store.
        let loadColumns = EventColumnStore()
        let (_, loadMs) = try timed {
            try store.forEachEvent(through: Int64.max, chunk: 20_000) { chunk in
                loadColumns.append(storedBodies: chunk.map { ($0.tenant, $0.body) })
            }
        }
        print(String(format: "columns: load from the store %.0f ms; %d events, ~%.1f MB", loadMs, loadColumns.rowCount, Double(loadColumns.approximateBytes) / 1e6))

        let pool = NIOThreadPool(numberOfThreads: 2)
        pool.start()
        let readers = EventReaders(directory: dir + "/index/events", capacity: 2, threadPool: pool)
        readers.register(try EventIndexWriter.monthDirectories(dir + "/index/events"))
        let searcher = EventSearcher(readers: readers, columns: loadColumns, slots: slots)
        print("months: \(readers.allMonths.count) (\(readers.allMonths.first?.name ?? "-") .. \(readers.allMonths.last?.name ?? "-"))")

        // The busiest month and its busiest source.
        var perMonth: [EventMonth: Int] = [:]
        for e in events { perMonth[EventMonth(containing: e.occurredAt.microseconds), default: 0] += 1 }
        let month = perMonth.max { $0.value != $1.value ? $0.value < $1.value : $0.key > $1.key }!.key  // ties: the earlier
        var perSource: [String: Int] = [:]
        for e in events where EventMonth(containing: e.occurredAt.microseconds) == month { perSource[e.source, default: 0] += 1 }
        let source = perSource.max { $0.value != $1.value ? $0.value < $1.value : $0.key > $1.key }!.key
        let monthRange = EventTimeRange(from: month.start, to: month.end)
        print("busiest month \(month.name): \(perMonth[month]!) events; its busiest source \(source): \(perSource[source]!)")
        let first = events.map(\.occurredAt.microseconds).min()!
        let last = events.map(\.occurredAt.microseconds).max()!
        let allRange = EventTimeRange(from: EventMonth(containing: first).start, to: EventMonth(containing: last).end)

        // Words for q: frequent message words of the busiest month.
        var wordCounts: [String: Int] = [:]
        for e in events where EventMonth(containing: e.occurredAt.microseconds) == month {
            for w in Tokenizer.words(e.message ?? "") where w.count >= 4 { wordCounts[w, default: 0] += 1 }
        }
        let words = wordCounts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.prefix(200).map(\.key)

        func search(_ label: String, _ make: (Int) -> EventSearchRequest) async throws {
            var samples: [Double] = []
            var total = 0
            for i in 0..<(runs + 10) {
                let request = make(i)
                let (result, ms) = try await timedAsync { try await searcher.search(request, tenant: "bench", settings: .default) }
                if i >= 10 { samples.append(ms) }
                total = result.total
            }
            report(label, samples, extra: "total \(total) (last run)")
        }
        print("\n## search (in process, uncached)")
        try await search("newest 20, all history, no q") { _ in var r = EventSearchRequest(); r.limit = 20; return r }
        try await search("newest 20, one month, no q") { _ in var r = EventSearchRequest(); r.limit = 20; r.range = monthRange; return r }
        try await search("newest 20, one month, filter source") { _ in
            var r = EventSearchRequest(); r.limit = 20; r.range = monthRange; r.filter = "source = \"\(source)\""; return r
        }
        try await search("q (one word of \(words.count)), one month") { i in
            var r = EventSearchRequest(); r.limit = 20; r.range = monthRange; r.q = words[i % words.count]; return r
        }
        try await search("q (two words), one month, filter type") { i in
            var r = EventSearchRequest(); r.limit = 20; r.range = monthRange; r.q = words[i % words.count] + " " + words[(i * 7 + 3) % words.count]
            r.filter = "type = \"commit\""; return r
        }
        try await search("q (one word), all history") { i in var r = EventSearchRequest(); r.limit = 20; r.q = words[i % words.count]; return r }

        print("\n## aggregations (in process, uncached): columns (no q) vs index collect spy (the q path)")
        func aggregate(_ label: String, _ body: String, indexOnly: Bool = false) async throws {
            let request = try EventAggregateRequest(json: try JSONParser.parse(body))
            for forceIndex in indexOnly ? [true] : [false, true] {
                var samples: [Double] = []
                var total = 0
                let n = forceIndex ? max(10, runs / 10) : runs
                for i in 0..<(n + 5) {
                    let (result, ms) = try await timedAsync {
                        try await searcher.aggregate(request, tenant: "bench", settings: .default, forceIndex: forceIndex)
                    }
                    if i >= 5 { samples.append(ms) }
                    total = result.total
                }
                report("\(label) [\(forceIndex ? "index" : "columns")]", samples, extra: "total \(total)")
            }
        }
        let from = Timestamp(microseconds: allRange.from!).rfc3339, to = Timestamp(microseconds: allRange.to!).rfc3339
        try await aggregate("daily histogram, all events", #"{"from": "\#(from)", "to": "\#(to)", "aggs": {"d": {"date_histogram": {"interval": "day"}}}}"#)
        try await aggregate("daily histogram, all events, Europe/Berlin", #"{"from": "\#(from)", "to": "\#(to)", "aggs": {"d": {"date_histogram": {"interval": "day", "time_zone": "Europe/Berlin"}}}}"#)
        try await aggregate("top-10 actors, all events", #"{"aggs": {"a": {"terms": {"field": "actor", "size": 10}}}}"#)
        let mFrom = Timestamp(microseconds: month.start).rfc3339, mTo = Timestamp(microseconds: month.end).rfc3339
        try await aggregate("hourly histogram, one source, one month",
            #"{"from": "\#(mFrom)", "to": "\#(mTo)", "filter": "source = \"\#(source)\"", "aggs": {"h": {"date_histogram": {"interval": "hour"}}}}"#)
        try await aggregate("four aggs in one pass, all events",
            #"{"aggs": {"d": {"date_histogram": {"interval": "week", "split_by": {"field": "source", "size": 5}}}, "a": {"terms": {"field": "actor", "size": 10}}, "s": {"stats": {"field": "attributes.insertions"}}, "p": {"percentiles": {"field": "attributes.files_changed", "percents": [50, 95, 99]}}}}"#)
        // The rows bench/timeline_duckdb.py times beside these (with q, the index path only).
        try await aggregate("q=fix: top-10 sources", #"{"q": "fix", "aggs": {"s": {"terms": {"field": "source", "size": 10}}}}"#, indexOnly: true)
        try await search("count (limit=0), type = release") { _ in var r = EventSearchRequest(); r.limit = 0; r.filter = "type = \"release\""; return r }
        try await search("count (limit=0), attributes.insertions >= 1000") { _ in
            var r = EventSearchRequest(); r.limit = 0; r.filter = "attributes.insertions >= 1000"; return r
        }

        readers.close()
        try store.close()
        try await pool.shutdownGracefully()
        let rss = residentKB()
        print(String(format: "\nRSS: current %.0f MB, peak %.0f MB", Double(rss.current) / 1024, Double(rss.peak) / 1024))
    }

    static func report(_ label: String, _ samples: [Double], extra: String) {
        let sorted = samples.sorted()
        func p(_ q: Double) -> Double { sorted[min(sorted.count - 1, max(0, Int((q / 100 * Double(sorted.count)).rounded(.up)) - 1))] }
        print(String(format: "%-58@ p50 %8.3f ms  p99 %8.3f ms  (%d runs; %@)", label as NSString, p(50), p(99), samples.count, extra as NSString))
    }

    static func timed<T>(_ body: () throws -> T) rethrows -> (T, Double) {
        let start = ContinuousClock.now
        let value = try body()
        let d = ContinuousClock.now - start
        return (value, Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15)
    }

    static func timedAsync<T>(isolation: isolated (any Actor)? = #isolation, _ body: () async throws -> T) async rethrows -> (T, Double) {
        let start = ContinuousClock.now
        let value = try await body()
        let d = ContinuousClock.now - start
        return (value, Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15)
    }

    static func residentKB() -> (current: Int, peak: Int) {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return (0, 0) }
        var current = 0, peak = 0
        for line in text.split(separator: "\n") {
            let parts = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard parts.count >= 2, let v = Int(parts[1]) else { continue }
            if parts[0] == "VmRSS:" { current = v }
            if parts[0] == "VmHWM:" { peak = v }
        }
        return (current, peak)
    }
}
