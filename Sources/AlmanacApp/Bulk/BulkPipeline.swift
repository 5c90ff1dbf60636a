public import AlmanacCore
public import AlmanacStore

/// Where a bulk load may go and how it commits.
public struct BulkLimits: Sendable {
    /// Over this many bytes: 413 (nil: no limit, as for a file import).
    public var maxBytes: Int?
    /// Over this many non-blank lines: 413 (nil: no limit).
    public var maxLines: Int?
    /// Valid lines per transaction. `_bulk` commits its whole body as one (API.md); an
    /// import commits in chunks, one in flight while the next is read and validated.
    public var chunkLines: Int

    public init(maxBytes: Int?, maxLines: Int?, chunkLines: Int) {
        self.maxBytes = maxBytes
        self.maxLines = maxLines
        self.chunkLines = max(1, chunkLines)
    }
}

/// What a bulk load answers (`_bulk` and `almanac import` alike).
public struct BulkReport: Sendable {
    public var accepted = 0
    /// Events already stored with the same content; nil for products (upserts).
    public var duplicates: Int?
    public var rejected: [BulkRejection] = []
    /// The highest seq the load was assigned, or the store's head when it stored nothing new.
    public var seq: Int64 = 0
    /// Non-blank lines read.
    public var lines = 0

    public var json: JSONValue {
        var o = JSONObject()
        o["accepted"] = .int(Int64(accepted))
        if let duplicates { o["duplicates"] = .int(Int64(duplicates)) }
        o["rejected"] = .array(rejected.map { r in
            ["line": .int(Int64(r.line)), "id": r.id.map { .string($0) } ?? .null, "error": .string(r.error)]
        })
        o["seq"] = .int(seq)
        return .object(o)
    }
}

/// A collection that takes bulk loads: the catalogue and the timeline alike.
public protocol BulkLoading: Sendable {
    associatedtype Writer: BulkWriter
    /// A bulk load into `caller`'s tenant: feed it NDJSON bytes, then `finish` it.
    func bulk(caller: WriteContext, limits: BulkLimits) -> BulkPipeline<Writer>
    /// Ends a bulk load: its report, once committed (and indexed, with `wait`).
    func finish(_ bulk: BulkPipeline<Writer>, wait: Bool) async throws -> WriteReceipt<BulkReport>
}

/// One collection's side of a bulk load: how a line validates and how a chunk is stored.
public protocol BulkWriter: Sendable {
    associatedtype Draft: Sendable
    /// Whether the report counts duplicates (events are idempotent by id).
    static var reportsDuplicates: Bool { get }
    func validate(_ value: JSONValue) throws(AlmanacError) -> Draft
    /// Stores one chunk in one transaction, lines in order.
    func write(_ lines: [BulkLine<Draft>], caller: WriteContext) async throws -> BulkChunkOutcome
    func headSeq() async throws -> Int64
}

public struct BulkLine<Draft: Sendable>: Sendable {
    public var number: Int
    public var draft: Draft
}

public struct BulkChunkOutcome: Sendable {
    public var accepted = 0
    public var duplicates = 0
    public var rejected: [BulkRejection] = []
    public var seq: Int64 = 0
}

/// The one NDJSON bulk path: bytes in, lines split and validated as they arrive (a body is
/// never held whole), valid lines stored in chunks in file order, every bad line reported
/// with its 1-based number. Lines are applied in order, as if sent one by one: an id
/// repeated in a body is written once per line (the last line's content stays), so a file
/// gives the same versions and timeline events through `_bulk` and `almanac import`.
/// Used by one task at a time.
public final class BulkPipeline<Writer: BulkWriter> {
    let writer: Writer
    let caller: WriteContext
    let limits: BulkLimits
    private var pending: [UInt8] = []
    private var chunk: [BulkLine<Writer.Draft>] = []
    private var inFlight: Task<BulkChunkOutcome, any Error>?
    private var report = BulkReport()
    private var lineNumber = 0
    public private(set) var bytesRead = 0

    init(writer: Writer, caller: WriteContext, limits: BulkLimits) {
        self.writer = writer
        self.caller = caller
        self.limits = limits
        if Writer.reportsDuplicates { report.duplicates = 0 }
    }

    /// Non-blank lines read so far.
    public var linesRead: Int { report.lines }

    /// Refuses a body whose declared length is over the limit before reading it.
    public func check(declaredLength: Int?) throws {
        if let length = declaredLength, let max = limits.maxBytes, length > max {
            throw AlmanacError(.payloadTooLarge, "bulk body of \(length) bytes is larger than the \(ByteCount(max)) limit")
        }
    }

    /// Reads more of the body.
    public func consume(_ bytes: some Collection<UInt8>) async throws {
        bytesRead += bytes.count
        if let max = limits.maxBytes, bytesRead > max {
            throw AlmanacError(.payloadTooLarge, "bulk body is larger than the \(ByteCount(max)) limit")
        }
        pending.append(contentsOf: bytes)
        var start = pending.startIndex
        while let newline = pending[start...].firstIndex(of: UInt8(ascii: "\n")) {
            try handle(pending[start..<newline])
            start = newline + 1
        }
        if start > 0 { pending.removeSubrange(..<start) }
        if chunk.count >= limits.chunkLines { try await flush() }
    }

    /// Reads the last line, commits what is left and answers the report.
    public func finish() async throws -> BulkReport {
        if !pending.isEmpty {
            try handle(pending[...])
            pending.removeAll()
        }
        try await flush()
        try await settle()
        if report.seq == 0 { report.seq = try await writer.headSeq() }
        report.rejected.sort { $0.line < $1.line }
        return report
    }

    private func handle(_ line: ArraySlice<UInt8>) throws {
        lineNumber += 1
        var slice = line
        if slice.last == UInt8(ascii: "\r") { slice = slice.dropLast() }
        if slice.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { return }
        report.lines += 1
        if let max = limits.maxLines, report.lines > max {
            throw AlmanacError(.payloadTooLarge, "bulk body has more than the limit of \(max) lines")
        }
        let value: JSONValue
        do { value = try JSONParser.parse(slice) } catch {
            report.rejected.append(BulkRejection(line: lineNumber, id: nil, error: "malformed JSON: \(error)"))
            return
        }
        do {
            chunk.append(BulkLine(number: lineNumber, draft: try writer.validate(value)))
        } catch {
            report.rejected.append(BulkRejection(line: lineNumber, id: value["id"]?.stringValue, error: error.detail))
        }
    }

    /// Starts committing the chunk in hand once the previous one committed (one
    /// transaction in flight, so chunks commit in file order).
    private func flush() async throws {
        guard !chunk.isEmpty else { return }
        let lines = chunk
        chunk.removeAll(keepingCapacity: true)
        try await settle()
        let (writer, caller) = (self.writer, self.caller)
        inFlight = Task { try await writer.write(lines, caller: caller) }
    }

    private func settle() async throws {
        guard let task = inFlight else { return }
        inFlight = nil
        let outcome = try await task.value
        report.accepted += outcome.accepted
        if Writer.reportsDuplicates { report.duplicates = (report.duplicates ?? 0) + outcome.duplicates }
        report.rejected += outcome.rejected
        report.seq = max(report.seq, outcome.seq)
    }
}

/// Products: each valid line an upsert.
public struct ProductBulkWriter: BulkWriter {
    let store: Store
    public static var reportsDuplicates: Bool { false }

    public func validate(_ value: JSONValue) throws(AlmanacError) -> ProductValidator.Draft {
        try ProductValidator().validate(value, pathID: nil)
    }

    public func write(_ lines: [BulkLine<ProductValidator.Draft>], caller: WriteContext) async throws -> BulkChunkOutcome {
        let seq = try await store.bulkUpsertProducts(lines.map(\.draft), context: caller)
        return BulkChunkOutcome(accepted: lines.count, seq: seq)
    }

    public func headSeq() async throws -> Int64 { try await store.headSeq() }
}

/// Events: appended, idempotent by id (the same content again is a duplicate, other
/// content under a stored id is rejected).
public struct EventBulkWriter: BulkWriter {
    let store: Store
    public static var reportsDuplicates: Bool { true }

    public func validate(_ value: JSONValue) throws(AlmanacError) -> EventValidator.Draft {
        try EventValidator().validate(value)
    }

    public func write(_ lines: [BulkLine<EventValidator.Draft>], caller: WriteContext) async throws -> BulkChunkOutcome {
        let outcomes = try await store.appendEvents(lines.map(\.draft), context: caller)
        var result = BulkChunkOutcome()
        for (line, outcome) in zip(lines, outcomes) {
            switch outcome {
            case .accepted(_, let seq):
                result.accepted += 1
                result.seq = max(result.seq, seq)
            case .duplicate: result.duplicates += 1
            case .conflict(let id):
                result.rejected.append(BulkRejection(line: line.number, id: id, error: "an event with this id exists with other content"))
            }
        }
        return result
    }

    public func headSeq() async throws -> Int64 { try await store.headSeq() }
}
