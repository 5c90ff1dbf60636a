import AlmanacCore
import Foundation
public import Logging
import Synchronization

/// A stored event to index: its seq, tenant and the JSON the store holds.
public struct EventIndexChange: Sendable {
    public var seq: Int64
    public var tenant: String
    public var body: String
    public init(seq: Int64, tenant: String, body: String) {
        self.seq = seq
        self.tenant = tenant
        self.body = body
    }
}

/// What one `EventIndexWriter.apply` changed.
public struct EventApplyOutcome: Sendable {
    /// Tenants with new documents.
    public var tenants: Set<String> = []
    /// Months committed.
    public var months: Set<EventMonth> = []
    /// Months whose database was created by this batch.
    public var newMonths: Set<EventMonth> = []
    /// Documents added.
    public var indexed = 0
    public init() {}
}

/// The single writer of the timeline index: one Xapian database per UTC month under
/// `index/events/YYYY-MM`, each event routed to the month of its `occurred_at`.
///
/// Resume: every month database stores `last_seq` in its metadata, committed with its
/// documents: "every event with seq <= last_seq that belongs to this month is here". After a
/// batch has committed every month it touched, the batch's watermark goes to
/// `index/events/state.json`, the point a restart reads the store from. A crash between
/// month commits leaves some months ahead of the state file; on the re-read, an event is
/// skipped for a month whose `last_seq` already covers it, so nothing is indexed twice and
/// documents can be added without a uniqueness lookup.
///
/// Not thread-safe: its `ProjectionService` owns it and calls it from one thread-pool task
/// at a time. A lock file keeps a second process (an offline import) out.
public final class EventIndexWriter {
    public static let lastSeqKey = "last_seq"
    public static let stateFileName = "state.json"
    public static let lockFileName = "LOCK"

    public let directory: String
    public let slots: SlotRegistry
    let columns: EventColumnStore?
    let durable: Bool
    let maxOpenWriters: Int
    let logger: Logger?
    /// How often a growing month's column file is rewritten at most.
    let columnFileInterval: Duration

    private var writers: [EventMonth: XapianWritableDatabase] = [:]
    private var lastUse: [EventMonth: UInt64] = [:]
    private var useClock: UInt64 = 0
    /// `last_seq` committed in each month database.
    public private(set) var monthSeqs: [EventMonth: Int64] = [:]
    /// Everything up to here is applied (the resume point once persisted).
    public private(set) var lastSeq: Int64
    private var persistedSeq: Int64
    /// Events with seq up to here are in `columns`.
    public private(set) var columnsThrough: Int64
    /// Months whose column file lags the columns, and when this process last wrote each.
    private var dirtyColumnMonths: Set<EventMonth> = []
    private var columnFileWritten: [EventMonth: ContinuousClock.Instant] = [:]
    /// After a failed batch, documents may have been half-added: replace instead of add
    /// until a batch commits cleanly.
    private var recovering = false
    private let lock: IndexLock

    /// Opens the index directory (creating it), takes its lock and reads every month's
    /// `last_seq`. Throws `AlmanacError(.conflict)` when another process holds the lock.
    /// With `columns`, each month's column file is written after the month's commit: at
    /// the first commit of the month in this process, then at most every
    /// `columnFileInterval` while it grows, and at `close` (`EventColumnFile`).
    public init(
        directory: String, slots: SlotRegistry, columns: EventColumnStore?, durable: Bool = true, maxOpenWriters: Int = 24,
        columnFileInterval: Duration = .seconds(30), logger: Logger? = nil
    ) throws {
        self.columnFileInterval = columnFileInterval
        self.directory = directory
        self.slots = slots
        self.columns = columns
        self.durable = durable
        self.maxOpenWriters = max(1, maxOpenWriters)
        self.logger = logger
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        lock = try IndexLock(path: directory + "/" + Self.lockFileName, what: "event index at \(directory)")
        for month in try Self.monthDirectories(directory) {
            let db = try XapianDatabase(path: directory + "/" + month.name)
            monthSeqs[month] = Int64(String(decoding: try db.metadata(Self.lastSeqKey), as: UTF8.self)) ?? 0
            try db.close()
        }
        if let state = Self.readState(directory) {
            lastSeq = state
        } else {
            lastSeq = monthSeqs.values.min() ?? 0
        }
        persistedSeq = lastSeq
        columnsThrough = lastSeq
    }

    /// Month databases present under `directory`, oldest first.
    public static func monthDirectories(_ directory: String) throws -> [EventMonth] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.compactMap { EventMonth(name: $0) }.sorted()
    }

    /// The persisted resume point, if any.
    public static func readState(_ directory: String) -> Int64? {
        guard let data = FileManager.default.contents(atPath: directory + "/" + stateFileName),
            let value = try? JSONParser.parse(Array(data)), let seq = value["last_seq"]?.integerValue
        else { return nil }
        return seq
    }

    /// Months with a committed database, oldest first.
    public var months: [EventMonth] { monthSeqs.keys.sorted() }

    public func path(of month: EventMonth) -> String { directory + "/" + month.name }

    /// Applies stored events (seq order) and commits each touched month with `watermark`
    /// as its `last_seq`, then records `watermark` as the resume point. Events of months
    /// before `retainFrom` (expired) are not indexed.
    @discardableResult
    public func apply(
        _ events: [EventIndexChange], watermark: Int64, retainFrom: EventMonth? = nil, language: (String) -> String
    ) throws -> EventApplyOutcome {
        var outcome = EventApplyOutcome()
        var columnRows: [(tenant: String, event: Event)] = []
        do {
            // Route (sequential): parse, drop expired months and events a month already has.
            var byMonth: [EventMonth: MonthWork] = [:]
            var languages: [String: String] = [:]
            for stored in events {
                let event: Event
                do {
                    event = try Event(storedJSON: try JSONParser.parse(stored.body))
                } catch {
                    logger?.error("skipping an unreadable stored event", metadata: ["seq": "\(stored.seq)", "error": "\(error)"])
                    continue
                }
                let month = EventMonth(containing: event.occurredAt.microseconds)
                if let retainFrom, month < retainFrom { continue }
                if stored.seq > columnsThrough { columnRows.append((stored.tenant, event)) }
                if stored.seq <= monthSeqs[month] ?? 0 { continue }
                let work = try byMonth[month] ?? MonthWork(month: month, database: writer(for: month, outcome: &outcome))
                byMonth[month] = work
                work.items.append((stored.tenant, event, stored.body))
                if outcome.tenants.insert(stored.tenant).inserted { languages[stored.tenant] = language(stored.tenant) }
            }
            let works = Array(byMonth.values)
            let (slots, recovering, languageOf) = (self.slots, self.recovering, languages)
            // Project (in parallel by month; assigns attribute slots), persist new slots before
            // any document using them is committed, then add and commit (in parallel by month).
            try Self.inLanes(works) { lane in
                let stemmers = StemmerCache()
                for work in lane {
                    work.documents.reserveCapacity(work.items.count)
                    for item in work.items {
                        work.documents.append(
                            EventProjection(slots: slots).document(
                                tenant: item.tenant, event: item.event, json: Array(item.body.utf8),
                                stemmer: try stemmers.stemmer(for: languageOf[item.tenant] ?? "english")))
                    }
                    work.items = []
                }
            }
            try slots.persistIfNeeded()
            let value = Array(String(watermark).utf8)
            try Self.inLanes(works) { lane in
                var batch = XapianTermBatch(reservingCapacity: 16 << 10)
                for work in lane {
                    for document in work.documents {
                        let native = try document.xapianDocument(batch: &batch)
                        if recovering {
                            try work.database.replace(uniqueTerm: document.uniqueTerm, with: native)
                        } else {
                            try work.database.add(native)
                        }
                    }
                    try work.database.setMetadata(Self.lastSeqKey, value)
                    try work.database.commit()
                    work.documents = []
                }
            }
            for work in works {
                monthSeqs[work.month] = watermark
                outcome.months.insert(work.month)
                outcome.indexed += work.count
            }
            try persist(watermark)
        } catch {
            recovering = true
            // Drop the handles: uncommitted documents must not ride along with a later commit.
            for (_, db) in writers { try? db.close() }
            writers.removeAll()
            lastUse.removeAll()
            throw error
        }
        recovering = false
        columns?.append(columnRows)
        columnsThrough = max(columnsThrough, watermark)
        lastSeq = max(lastSeq, watermark)
        if columns != nil {
            for row in columnRows { dirtyColumnMonths.insert(EventMonth(containing: row.event.occurredAt.microseconds)) }
            writeColumnFiles(force: false)
        }
        closeIdleWriters()
        return outcome
    }

    /// Advances the resume point when a batch held no events (product changes only).
    public func skip(to watermark: Int64) {
        lastSeq = max(lastSeq, watermark)
        columnsThrough = max(columnsThrough, watermark)
    }

    /// Records the resume point (temp file, fsync, rename).
    public func persist(_ watermark: Int64) throws {
        guard watermark != persistedSeq else { return }
        let path = directory + "/" + Self.stateFileName
        try writeFileAtomically(path, JSONWriter.encode(["last_seq": .int(watermark)]))
        persistedSeq = watermark
    }

    // MARK: - Column files

    /// Marks months whose column file should be (re)written at the next write (the loader,
    /// after rebuilding them from the store).
    public func markColumnsDirty(_ months: some Sequence<EventMonth>) {
        guard columns != nil else { return }
        dirtyColumnMonths.formUnion(months.filter { monthSeqs[$0] != nil })
    }

    /// Writes the column file of every month that lags the columns. Throws the first
    /// failure (the months that failed stay marked).
    public func flushColumnFiles() throws {
        if let error = writeColumnFiles(force: true) { throw error }
    }

    /// Writes the lagging months' files that are due (all with `force`): each covers
    /// `columnsThrough`, which the columns hold for every month. A failure is logged and
    /// leaves the month marked: a file behind its month only costs a top-up from the store
    /// at the next start.
    @discardableResult
    private func writeColumnFiles(force: Bool) -> (any Error)? {
        guard let columns, !dirtyColumnMonths.isEmpty else { return nil }
        let now = ContinuousClock.now
        var first: (any Error)?
        for month in dirtyColumnMonths.sorted() {
            guard monthSeqs[month] != nil else {
                dirtyColumnMonths.remove(month)
                continue
            }
            if !force, let written = columnFileWritten[month], now - written < columnFileInterval { continue }
            do {
                try columns.file(of: month, seq: columnsThrough).write(into: path(of: month))
                dirtyColumnMonths.remove(month)
                columnFileWritten[month] = now
            } catch {
                logger?.error("cannot write a column file", metadata: ["month": "\(month.name)", "error": "\(error)"])
                if first == nil { first = error }
            }
        }
        return first
    }

    /// Closes and deletes whole months (retention), their column files with them. Their
    /// rows are the caller's to delete.
    public func drop(_ months: some Sequence<EventMonth>) throws {
        for month in months {
            if let db = writers.removeValue(forKey: month) { try? db.close() }
            lastUse[month] = nil
            monthSeqs[month] = nil
            dirtyColumnMonths.remove(month)
            columnFileWritten[month] = nil
            let path = path(of: month)
            if FileManager.default.fileExists(atPath: path) { try FileManager.default.removeItem(atPath: path) }
        }
    }

    /// Documents per tenant over all months under `directory` (for `almanac check`; reads
    /// without the lock, so it works beside a running server).
    public static func documentCounts(directory: String) throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for month in try monthDirectories(directory) {
            let db = try XapianDatabase(path: directory + "/" + month.name)
            try db.forEachTerm(prefix: Terms.tenant) { term, freq in
                counts[String(term.dropFirst(Terms.tenant.count)), default: 0] += freq
            }
            try db.close()
        }
        return counts
    }

    /// Writes the lagging column files, closes the month writers and releases the lock.
    public func close() throws {
        var first: (any Error)? = writeColumnFiles(force: true)
        for (_, db) in writers {
            do { try db.close() } catch { if first == nil { first = error } }
        }
        writers.removeAll()
        lock.release()
        if let first { throw first }
    }

    // MARK: - Writers

    private func writer(for month: EventMonth, outcome: inout EventApplyOutcome) throws -> XapianWritableDatabase {
        useClock &+= 1
        lastUse[month] = useClock
        if let db = writers[month] { return db }
        let path = path(of: month)
        if monthSeqs[month] == nil { outcome.newMonths.insert(month) }
        let db = try XapianWritableDatabase(path: path, durable: durable)
        writers[month] = db
        return db
    }

    /// Keeps at most `maxOpenWriters` open: the least recently used close (all committed).
    private func closeIdleWriters() {
        guard writers.count > maxOpenWriters else { return }
        let order = writers.keys.sorted { (lastUse[$0] ?? 0) < (lastUse[$1] ?? 0) }
        for month in order.prefix(writers.count - maxOpenWriters) {
            try? writers.removeValue(forKey: month)?.close()
            lastUse[month] = nil
        }
    }
}

/// One month's share of a batch.
///
/// `@unchecked Sendable`: created on the writer's thread, then handed to exactly one lane
/// of `EventIndexWriter.inLanes`, which returns only after every lane has finished; no two
/// lanes share a month, so the database handle and the arrays are used by one thread at a
/// time, and the writer's thread touches them again only after the lanes joined.
final class MonthWork: @unchecked Sendable {
    let month: EventMonth
    let database: XapianWritableDatabase
    var items: [(tenant: String, event: Event, body: String)] = []
    var documents: [IndexDocument] = []
    private(set) var count = 0

    init(month: EventMonth, database: XapianWritableDatabase) {
        self.month = month
        self.database = database
    }

    func noteCount() { count = max(count, items.count, documents.count) }
}

extension EventIndexWriter {
    /// Lanes used for a batch spanning several months (one thread each).
    static let maxLanes = max(1, min(4, ProcessInfo.processInfo.activeProcessorCount))

    /// Runs `body` over the works split into lanes of about equal size, one thread per
    /// lane (inline when there is one lane); rethrows the first error.
    static func inLanes(_ works: [MonthWork], _ body: @escaping @Sendable ([MonthWork]) throws -> Void) throws {
        for work in works { work.noteCount() }
        let laneCount = min(maxLanes, works.count)
        guard laneCount > 1 else {
            try body(works)
            return
        }
        var lanes = [[MonthWork]](repeating: [], count: laneCount)
        var loads = [Int](repeating: 0, count: laneCount)
        for work in works.sorted(by: { $0.count > $1.count }) {
            let i = loads.indices.min { loads[$0] < loads[$1] }!
            lanes[i].append(work)
            loads[i] += work.count
        }
        let errors = Mutex<[any Error]>([])
        let frozen = lanes
        DispatchQueue.concurrentPerform(iterations: laneCount) { i in
            do { try body(frozen[i]) } catch { errors.withLock { $0.append(error) } }
        }
        if let first = errors.withLock({ $0.first }) { throw first }
    }
}

/// Writes `bytes` to `path` through a temporary file, fsynced and renamed into place.
func writeFileAtomically(_ path: String, _ bytes: [UInt8]) throws {
    let tmp = path + ".tmp"
    let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    guard fd >= 0 else { throw fileWriteError("write", tmp, errno) }
    var offset = 0
    while offset < bytes.count {
        let n = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        if n <= 0 {
            let code = errno
            close(fd)
            throw fileWriteError("write", tmp, code)
        }
        offset += n
    }
    if fsync(fd) != 0 {
        let code = errno
        close(fd)
        throw fileWriteError("fsync", tmp, code)
    }
    close(fd)
    guard rename(tmp, path) == 0 else { throw fileWriteError("rename", tmp, errno) }
}

/// A failed file write as an error: a 507 when the errno is a storage fault (a full disk),
/// otherwise an internal error.
func fileWriteError(_ verb: String, _ path: String, _ code: Int32) -> AlmanacError {
    if let kind = StorageFaultKind(errno: code) {
        return AlmanacError.insufficientStorage("the index file \(path)", kind, cause: "\(verb): errno \(code)")
    }
    return AlmanacError(.internalError, "cannot \(verb) \(path): errno \(code)")
}
