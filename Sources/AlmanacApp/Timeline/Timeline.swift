public import AlmanacCore
public import AlmanacIndex
public import AlmanacStore
import Foundation
import Logging
import AlmanacCache

/// The timeline: its writes (events are their own change feed), its cached queries and
/// aggregations, entity histories, and its projection into the month indexes and the
/// resident columns. The catalogue's peer, of the same shape.
public struct Timeline: BulkLoading {
    public let store: Store
    public let searcher: EventSearcher
    public let readers: EventReaders
    public let columns: EventColumnStore
    public let indexer: ProjectionService<TimelineProjection>
    let context: CollectionContext
    let limits: AlmanacConfiguration.Limits
    let retention: TimelineRetention
    /// How the resident columns were loaded at start-up.
    public let columnLoad: EventColumnLoader.Report

    /// What the timeline index has applied.
    public var watermark: Watermark { context.watermark }

    // MARK: Queries

    /// `GET /v1/events/search`.
    public func search(_ parameters: RequestParameters, tenant: String, minSeq: Int64?) async throws -> QueryAnswer {
        let request = try EventSearchRequest(parameters: parameters, limits: limits.request)
        return try await context.answer(request, kind: "search", canonical: request.canonical, tenant: tenant, minSeq: minSeq) {
            [searcher] request, settings in
            EventRendering.search(try await searcher.search(request, tenant: tenant, settings: settings), limit: request.limit)
        }
    }

    /// `POST /v1/events/aggregate` (`min_seq` may come in the query or the body).
    public func aggregate(_ body: JSONValue, tenant: String, minSeq: Int64?) async throws -> QueryAnswer {
        let request = try EventAggregateRequest(json: body, limits: limits.request)
        try await context.awaitSeq(minSeq)
        return try await context.answer(request, kind: "aggregate", canonical: request.canonical, tenant: tenant, minSeq: request.minSeq) {
            [searcher] request, settings in
            EventRendering.aggregate(try await searcher.aggregate(request, tenant: tenant, settings: settings))
        }
    }

    /// One entity's history from the store, oldest first (or newest first), paged by
    /// (occurred_at, id) so pages stay exact while events arrive. Never cached.
    public func history(
        tenant: String, entityType: String, entityID: String, descending: Bool, limit: Int, cursor: String?, minSeq: Int64?
    ) async throws -> QueryAnswer {
        let fingerprint = Cursor.fingerprint("entity\u{1F}\(tenant)\u{1F}\(entityType)\u{1F}\(entityID)\u{1F}\(descending)")
        var position: EventPosition?
        if let cursor {
            let decoded = try Cursor.decode(cursor, fingerprint: fingerprint)
            guard let key = decoded.key, let at = Int64(String(decoding: key, as: UTF8.self)), let lastID = decoded.lastID else {
                throw AlmanacError.invalidParameter("cursor", "is not a cursor this server issued")
            }
            position = EventPosition(occurredAt: at, id: lastID)
        }
        try await context.awaitSeq(minSeq)
        let rows = try await store.entityEvents(
            tenant: tenant, entityType: entityType, entityID: entityID, descending: descending, after: position, limit: limit + 1)
        let total = try await store.entityEventCount(tenant: tenant, entityType: entityType, entityID: entityID)
        let page = Array(rows.prefix(limit))
        var next: String?
        if rows.count > limit, let last = page.last, case .object(let o)? = try? JSONParser.parse(last),
            let lastID = o["id"]?.stringValue, let at = o["occurred_at"]?.stringValue.flatMap({ try? Timestamp(rfc3339: $0) })
        {
            next = Cursor(fingerprint: fingerprint, key: Array(String(at.microseconds).utf8), offset: 0, lastID: lastID).encoded
        }
        let body = EventRendering.history(page, total: total, limit: limit, nextCursor: next)
        return QueryAnswer(body: body, cache: .off, indexedSeq: watermark.value)
    }

    /// One stored event, as stored.
    public func event(tenant: String, id: String) async throws -> [UInt8] {
        guard let json = try await store.eventJSON(tenant: tenant, id: id) else {
            throw AlmanacError.notFound("no event '\(id.prefix(200))'")
        }
        return Array(json.utf8)
    }

    // MARK: Writes

    /// Appends one event; a repeat of a stored event (same id, same content) answers as
    /// before and is not a new write.
    public func append(_ body: JSONValue, caller: WriteContext, wait: Bool) async throws -> WriteReceipt<AppendedEvent> {
        let draft = try EventValidator().validate(body)
        switch try await store.appendEvents([draft], context: caller)[0] {
        case .accepted(let id, let seq):
            return await context.completed(AppendedEvent(id: id, isNew: true), seq: seq, wait: wait)
        case .duplicate(let id, let seq):
            return WriteReceipt(result: AppendedEvent(id: id, isNew: false), seq: seq, indexed: nil, indexedSeq: watermark.value)
        case .conflict(let id):
            throw AlmanacError(.conflict, "an event with id '\(id.prefix(200))' exists with other content")
        }
    }

    public func bulk(caller: WriteContext, limits: BulkLimits) -> BulkPipeline<EventBulkWriter> {
        BulkPipeline(writer: EventBulkWriter(store: store), caller: caller, limits: limits)
    }

    public func finish(_ bulk: BulkPipeline<EventBulkWriter>, wait: Bool) async throws -> WriteReceipt<BulkReport> {
        try await context.finish(bulk, wait: wait)
    }

    /// Applies everything committed so far (tests, benchmarks).
    public func catchUp() async throws { try await indexer.catchUp() }

    // MARK: Retention

    /// Drops the months that lie wholly before the retention cutoff: their databases,
    /// readers, columns and stored rows. Answers the months dropped.
    @discardableResult
    public func enforceRetention(now: Timestamp = .now()) async throws -> [EventMonth] {
        try await retention.enforce(on: indexer, now: now)
    }

    /// The timeline index's state for `/ready`.
    public func readiness(head: Int64) -> JSONValue {
        let seq = watermark.value
        let months = readers.allMonths
        return [
            "indexed_seq": .int(seq), "lag": .int(max(0, head - seq)),
            "oldest_month": months.first.map { .string($0.name) } ?? .null,
            "months": .int(Int64(months.count)),
            "retention_days": .int(Int64(retention.days)),
            "columns_events": .int(Int64(columns.rowCount)),
        ]
    }
}

/// Retention in whole UTC months: what expires, and how it goes (databases, readers,
/// columns and stored rows), under the indexer's gate.
struct TimelineRetention: Sendable {
    let days: Int
    let store: Store
    let readers: EventReaders
    let columns: EventColumnStore
    let epoch: CacheEpoch
    let logger: Logger

    func enforce(on indexer: ProjectionService<TimelineProjection>, now: Timestamp) async throws -> [EventMonth] {
        guard let keep = EventRetention.firstKeptMonth(days: days, now: now) else { return [] }
        let (readers, columns) = (self.readers, self.columns)
        // Under the writer's gate, so no batch runs between forgetting a month and deleting it.
        let expired = try await indexer.withProjection { projection in
            let expired = projection.writer.months.filter { $0 < keep }
            if !expired.isEmpty {
                readers.remove(expired)
                try projection.writer.drop(expired)
                columns.drop(months: Set(expired))
            }
            return expired
        }
        if !expired.isEmpty { epoch.bump() }
        let deleted = try await store.deleteEvents(occurredBefore: keep.start)
        if !expired.isEmpty || deleted > 0 {
            logger.info("retention dropped expired months", metadata: [
                "months": "\(expired.map(\.name).joined(separator: ","))", "rows": "\(deleted)", "kept_from": "\(keep.name)",
            ])
            if deleted > 0 { epoch.bump() }
        }
        return expired
    }
}

/// An appended event: its id (generated when the body had none), and whether it is new
/// (false: an idempotent repeat of a stored event, answered as before).
public struct AppendedEvent: Sendable {
    public var id: String
    public var isNew: Bool
}

/// Fills the resident columns at start-up: each month from its column file
/// (`index/events/YYYY-MM/columns.bin`), and from the store only what a file lacks.
public enum EventColumnLoader {
    /// What a load did.
    public struct Report: Sendable, Equatable {
        /// Months loaded.
        public var months = 0
        /// Months whose file was used (some of them topped up).
        public var fromFiles = 0
        /// Months whose file was behind the month's committed `last_seq`: the file, then
        /// the month's later events from the store.
        public var toppedUp = 0
        /// Months read whole from the store (no usable file).
        public var rebuilt = 0
        public var fileEvents = 0
        /// Events read from the store.
        public var storeEvents = 0
        /// Why files were not used, by month ("2024-03: corrupt (checksum mismatch)").
        public var problems: [String] = []
        public init() {}
    }

    /// Loads every event the index has applied (seq <= the writer's `columnsThrough`) of
    /// the kept months. Per month (`S` the resume point, `L` the month's committed
    /// `last_seq`): a file with seq >= min(L, S) is the month; an older one is topped up
    /// with the month's events after its seq; a missing, corrupt or other-version file, or
    /// one ahead of `S` (a crash between commits), means the month is read from the store.
    /// The months read from the store get fresh files. Runs on the writer's thread.
    static func load(
        writer: EventIndexWriter, store: Store, into columns: EventColumnStore, retainFrom: EventMonth?, logger: Logger?,
        progress: StartupProgress?
    ) throws -> Report {
        var report = Report()
        let through = writer.columnsThrough
        let months = writer.months.filter { month in retainFrom.map { month >= $0 } ?? true }
        progress?.begin("timeline columns", total: months.count, unit: "months")
        var refresh: [EventMonth] = []
        for (i, month) in months.enumerated() {
            var after: Int64 = 0
            do throws(EventColumnFile.Problem) {
                let file = try EventColumnFile.read(from: writer.path(of: month))
                guard file.seq <= through else { throw EventColumnFile.Problem.corrupt("seq \(file.seq) is ahead of the resume point \(through)") }
                report.fileEvents += columns.install(file, month: month)
                report.fromFiles += 1
                after = file.seq
                if file.seq < min(writer.monthSeqs[month] ?? 0, through) {
                    report.toppedUp += 1
                    refresh.append(month)
                } else {
                    after = through
                }
            } catch {
                if error != .absent { report.problems.append("\(month.name): \(error)") }
                report.rebuilt += 1
                refresh.append(month)
            }
            if after < through {
                try store.forEachEvent(occurred: month.start..<month.end, after: after, through: through, chunk: 20_000) { chunk in
                    report.storeEvents += columns.append(storedBodies: chunk.map { ($0.tenant, $0.body) }, retainFrom: retainFrom)
                }
            }
            report.months += 1
            progress?.advance(done: i + 1)
        }
        if !report.problems.isEmpty {
            logger?.warning("column files not used; those months were read from the store", metadata: [
                "months": "\(report.problems.joined(separator: "; "))"
            ])
        }
        writer.markColumnsDirty(refresh)
        do { try writer.flushColumnFiles() } catch {
            logger?.error("cannot write column files; the next start reads those months from the store", metadata: ["error": "\(error)"])
        }
        return report
    }
}
