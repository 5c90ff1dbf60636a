import AlmanacCore
import Foundation

/// One month of the resident columns as `index/events/YYYY-MM/columns.bin` keeps it, so a
/// start loads the columns from these files instead of re-reading every event from the
/// store (docs/timeline.md, "Start-up").
///
/// The file holds every tenant's rows of the month with seq <= `seq`, exactly as the
/// columns hold them (chunks of `ColumnChunk.capacity`), with month-local dictionaries:
/// codes are renumbered on load into the tenant's dictionaries, so a month loads on its
/// own and in any order. Layout (little-endian):
///
///     magic "ALMCOLS\0" | u32 version | u32 0 | i64 seq | u64 payload bytes | u64 FNV-1a of the payload
///     payload: u32 tenants, per tenant: str name, per keyword (EventKeyword order) a dictionary,
///              the attribute-value dictionary, u32 attributes (str name, u8 kinds each),
///              u32 chunks, per chunk: u32 rows, i64 times, per keyword u32 n + n u32 codes,
///              u32 attributes, per attribute: u32 id, u32 n + n f64, u32 n + n u32, u32 n + n u8
///     a dictionary: u32 n, then n strings (code i+1); str: u32 length + UTF-8
///
/// A file of another version, of the wrong size or checksum, or with a code outside its
/// dictionaries is refused as a whole (`Problem`); the loader rebuilds that month.
public struct EventColumnFile: Sendable {
    public static let fileName = "columns.bin"
    public static let version: UInt32 = 1
    static let magic: [UInt8] = Array("ALMCOLS\0".utf8)
    static let headerSize = 8 + 4 + 4 + 8 + 8 + 8

    /// One tenant's rows of the month, with codes local to this month.
    struct Tenant: Sendable {
        var name: String
        var keywordValues: [[String]]
        var attributeValues: [String]
        var attributeNames: [String]
        var attributeKinds: [UInt8]
        var chunks: [ColumnChunk]
    }

    /// Every event of the month with seq up to here is in the file.
    public var seq: Int64
    var tenants: [Tenant]

    public var rowCount: Int { tenants.reduce(0) { $0 + $1.chunks.reduce(0) { $0 + $1.count } } }

    /// Why a file was not used.
    public enum Problem: Error, Equatable, CustomStringConvertible {
        case absent
        case otherVersion(UInt32)
        case corrupt(String)

        public var description: String {
            switch self {
            case .absent: "absent"
            case .otherVersion(let v): "format version \(v), not \(EventColumnFile.version)"
            case .corrupt(let why): "corrupt (\(why))"
            }
        }
    }

    // MARK: - From and into the columns

    /// The month's rows of `tenants` (snapshots), renumbered to month-local codes.
    init(month: EventMonth, seq: Int64, tenants snapshot: [(name: String, columns: TenantColumns)]) {
        self.seq = seq
        tenants = []
        for (name, columns) in snapshot.sorted(by: { $0.name < $1.name }) {
            guard let chunks = columns.months[month], !chunks.isEmpty else { continue }
            var keywordMaps = columns.keywordValues.map { CodeMap(count: $0.count) }
            var valueMap = CodeMap(count: columns.attributeValues.count)
            var attributeMap = CodeMap(count: columns.attributeNames.count + 1)
            var kinds: [UInt8] = []
            var local: [ColumnChunk] = []
            local.reserveCapacity(chunks.count)
            for chunk in chunks {
                var c = chunk
                for k in 0..<c.keywords.count { c.keywords[k] = c.keywords[k].map { keywordMaps[k].local($0) } }
                var attributes: [UInt32: AttributeColumn] = [:]
                for (id, column) in chunk.attributes {
                    var column = column
                    column.strings = column.strings.map { valueMap.local($0) }
                    // Attribute ids count from 0; shift by one so 0 stays "none" in the map.
                    let localID = attributeMap.local(id + 1) - 1
                    if Int(localID) == kinds.count { kinds.append(0) }
                    if column.numbers.contains(where: { !$0.isNaN }) { kinds[Int(localID)] |= 1 }
                    if column.strings.contains(where: { $0 != 0 }) { kinds[Int(localID)] |= 2 }
                    if column.bools.contains(where: { $0 != 0 }) { kinds[Int(localID)] |= 4 }
                    attributes[localID] = column
                }
                c.attributes = attributes
                local.append(c)
            }
            tenants.append(Tenant(
                name: name,
                keywordValues: keywordMaps.enumerated().map { k, map in map.used.map { columns.keywordValues[k].values[Int($0)] } },
                attributeValues: valueMap.used.map { columns.attributeValues.values[Int($0)] },
                attributeNames: attributeMap.used.map { columns.attributeNames[Int($0) - 1] },
                attributeKinds: kinds, chunks: local))
        }
    }

    /// Month-local codes handed out in order of first use; 0 stays 0.
    struct CodeMap {
        private var table: [UInt32]
        /// Global codes by local code - 1.
        private(set) var used: [UInt32] = []

        init(count: Int) { table = [UInt32](repeating: 0, count: max(1, count)) }

        mutating func local(_ code: UInt32) -> UInt32 {
            guard code != 0 else { return 0 }
            if table[Int(code)] == 0 {
                used.append(code)
                table[Int(code)] = UInt32(used.count)
            }
            return table[Int(code)]
        }
    }

    // MARK: - Encoding

    public func encoded() -> [UInt8] {
        var w = ByteWriter()
        w.u32(UInt32(tenants.count))
        for t in tenants {
            w.string(t.name)
            for values in t.keywordValues { w.strings(values) }
            w.strings(t.attributeValues)
            w.u32(UInt32(t.attributeNames.count))
            for (name, kinds) in zip(t.attributeNames, t.attributeKinds) {
                w.string(name)
                w.bytes.append(kinds)
            }
            w.u32(UInt32(t.chunks.count))
            for chunk in t.chunks {
                w.u32(UInt32(chunk.count))
                w.raw(chunk.time)
                for codes in chunk.keywords { w.array(codes) }
                w.u32(UInt32(chunk.attributes.count))
                for (id, column) in chunk.attributes.sorted(by: { $0.key < $1.key }) {
                    w.u32(id)
                    w.array(column.numbers)
                    w.array(column.strings)
                    w.array(column.bools)
                }
            }
        }
        var file = ByteWriter()
        file.bytes.reserveCapacity(Self.headerSize + w.bytes.count)
        file.bytes += Self.magic
        file.u32(Self.version)
        file.u32(0)
        file.u64(UInt64(bitPattern: seq))
        file.u64(UInt64(w.bytes.count))
        file.u64(w.bytes.withUnsafeBytes { FNV1a64.hash($0) })
        file.bytes += w.bytes
        return file.bytes
    }

    /// Writes the file into `directory` (temp file, fsync, rename).
    public func write(into directory: String) throws {
        try writeFileAtomically(directory + "/" + Self.fileName, encoded())
    }

    // MARK: - Decoding

    /// Reads and checks the month directory's file.
    public static func read(from directory: String) throws(Problem) -> EventColumnFile {
        guard let data = FileManager.default.contents(atPath: directory + "/" + fileName) else { throw .absent }
        let decoded = data.withUnsafeBytes { raw in Result { () throws(Problem) in try EventColumnFile(decoding: raw) } }
        return try decoded.get()
    }

    init(decoding raw: UnsafeRawBufferPointer) throws(Problem) {
        guard raw.count >= Self.headerSize, raw.prefix(8).elementsEqual(Self.magic) else { throw .corrupt("not a column file") }
        var r = ByteReader(raw)
        r.offset = 8
        let version = try r.u32()
        guard version == Self.version else { throw .otherVersion(version) }
        _ = try r.u32()
        seq = Int64(bitPattern: try r.u64())
        let length = try r.u64()
        let checksum = try r.u64()
        guard UInt64(raw.count - Self.headerSize) == length else { throw .corrupt("\(raw.count - Self.headerSize) payload bytes, header says \(length)") }
        let payload = UnsafeRawBufferPointer(rebasing: raw[Self.headerSize...])
        guard FNV1a64.hash(payload) == checksum else { throw .corrupt("checksum mismatch") }
        tenants = []
        let keywordCount = EventKeyword.allCases.count
        for _ in 0..<(try r.u32()) {
            let name = try r.string()
            var keywordValues: [[String]] = []
            for _ in 0..<keywordCount { keywordValues.append(try r.strings()) }
            let attributeValues = try r.strings()
            var names: [String] = [], kinds: [UInt8] = []
            for _ in 0..<(try r.u32()) {
                names.append(try r.string())
                kinds.append(try r.u8())
            }
            var chunks: [ColumnChunk] = []
            for _ in 0..<(try r.u32()) {
                var chunk = ColumnChunk()
                let rows = Int(try r.u32())
                guard rows <= ColumnChunk.capacity else { throw .corrupt("a chunk of \(rows) rows") }
                chunk.time = try r.array(Int64.self, count: rows)
                for k in 0..<keywordCount {
                    let codes: [UInt32] = try r.array()
                    guard codes.count <= rows, codes.allSatisfy({ Int($0) <= keywordValues[k].count }) else {
                        throw .corrupt("a keyword code outside its dictionary")
                    }
                    chunk.keywords[k] = codes
                }
                for _ in 0..<(try r.u32()) {
                    let id = try r.u32()
                    guard Int(id) < names.count else { throw .corrupt("an attribute outside its dictionary") }
                    var column = AttributeColumn()
                    column.numbers = try r.array()
                    column.strings = try r.array()
                    column.bools = try r.array()
                    guard column.numbers.count <= rows, column.strings.count <= rows, column.bools.count <= rows,
                        column.strings.allSatisfy({ Int($0) <= attributeValues.count })
                    else { throw .corrupt("an attribute column out of bounds") }
                    chunk.attributes[id] = column
                }
                chunks.append(chunk)
            }
            tenants.append(Tenant(
                name: name, keywordValues: keywordValues, attributeValues: attributeValues, attributeNames: names,
                attributeKinds: kinds, chunks: chunks))
        }
        guard r.offset == raw.count else { throw .corrupt("\(raw.count - r.offset) bytes past the end") }
    }
}

/// Little-endian appends (the column file).
private struct ByteWriter {
    var bytes: [UInt8] = []

    mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
    mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
    mutating func string(_ s: String) {
        u32(UInt32(s.utf8.count))
        bytes += s.utf8
    }
    mutating func strings(_ values: [String]) {
        u32(UInt32(values.count))
        for s in values { string(s) }
    }
    /// The elements' bytes as they are in memory (little-endian on every platform we build).
    mutating func raw<T: BitwiseCopyable>(_ values: [T]) { values.withUnsafeBytes { bytes += $0 } }
    mutating func array<T: BitwiseCopyable>(_ values: [T]) {
        u32(UInt32(values.count))
        raw(values)
    }
}

/// Bounds-checked little-endian reads (the column file).
private struct ByteReader {
    let raw: UnsafeRawBufferPointer
    var offset = 0

    init(_ raw: UnsafeRawBufferPointer) { self.raw = raw }

    private mutating func take(_ n: Int) throws(EventColumnFile.Problem) -> UnsafeRawBufferPointer {
        guard n >= 0, raw.count - offset >= n else { throw .corrupt("truncated") }
        defer { offset += n }
        return UnsafeRawBufferPointer(rebasing: raw[offset..<(offset + n)])
    }
    mutating func u8() throws(EventColumnFile.Problem) -> UInt8 { try take(1)[0] }
    mutating func u32() throws(EventColumnFile.Problem) -> UInt32 { UInt32(littleEndian: try take(4).loadUnaligned(as: UInt32.self)) }
    mutating func u64() throws(EventColumnFile.Problem) -> UInt64 { UInt64(littleEndian: try take(8).loadUnaligned(as: UInt64.self)) }
    mutating func string() throws(EventColumnFile.Problem) -> String {
        let n = Int(try u32())
        return String(decoding: try take(n), as: UTF8.self)
    }
    mutating func strings() throws(EventColumnFile.Problem) -> [String] {
        let n = Int(try u32())
        guard n <= raw.count - offset else { throw .corrupt("truncated") }
        var out: [String] = []
        out.reserveCapacity(n)
        for _ in 0..<n { out.append(try string()) }
        return out
    }
    mutating func array<T: BitwiseCopyable>(_: T.Type = T.self, count: Int) throws(EventColumnFile.Problem) -> [T] {
        let source = try take(count * MemoryLayout<T>.stride)
        return [T](unsafeUninitializedCapacity: count) { buffer, initialized in
            UnsafeMutableRawBufferPointer(buffer).copyMemory(from: source)
            initialized = count
        }
    }
    mutating func array<T: BitwiseCopyable>(_: T.Type = T.self) throws(EventColumnFile.Problem) -> [T] {
        try array(T.self, count: Int(try u32()))
    }
}

extension EventColumnStore {
    /// The month's rows of every tenant as a column file covering `seq` (a copy-on-write
    /// snapshot taken under the lock; the renumbering runs outside it).
    public func file(of month: EventMonth, seq: Int64) -> EventColumnFile {
        let snapshot = withTenants { tenants in
            tenants.compactMap { name, columns -> (name: String, columns: TenantColumns)? in
                columns.months[month] == nil ? nil : (name, columns)
            }
        }
        return EventColumnFile(month: month, seq: seq, tenants: snapshot)
    }

    /// Makes the file's rows the month's rows (replacing any), renumbered into each
    /// tenant's dictionaries. Answers the rows installed.
    @discardableResult
    public func install(_ file: EventColumnFile, month: EventMonth) -> Int {
        withTenants { tenants in
            var rows = 0
            for t in file.tenants {
                var columns = tenants.removeValue(forKey: t.name) ?? TenantColumns()
                let keywordCodes = t.keywordValues.enumerated().map { k, values in
                    [0] + values.map { columns.keywordValues[k].code($0) }
                }
                let valueCodes = [0] + t.attributeValues.map { columns.attributeValues.code($0) }
                var attributeIDs: [UInt32] = []
                for (name, kinds) in zip(t.attributeNames, t.attributeKinds) {
                    let id = columns.attributeID(intern: name)
                    columns.attributeKinds[Int(id)] |= kinds
                    attributeIDs.append(id)
                }
                var chunks = t.chunks
                for i in chunks.indices {
                    for k in chunks[i].keywords.indices where !chunks[i].keywords[k].isEmpty {
                        let table = keywordCodes[k]
                        chunks[i].keywords[k] = chunks[i].keywords[k].map { table[Int($0)] }
                    }
                    var attributes: [UInt32: AttributeColumn] = [:]
                    attributes.reserveCapacity(chunks[i].attributes.count)
                    for (local, var column) in chunks[i].attributes {
                        if !column.strings.isEmpty { column.strings = column.strings.map { valueCodes[Int($0)] } }
                        attributes[attributeIDs[Int(local)]] = column
                    }
                    chunks[i].attributes = attributes
                    rows += chunks[i].count
                }
                columns.months[month] = chunks
                tenants[t.name] = columns
            }
            return rows
        }
    }
}
