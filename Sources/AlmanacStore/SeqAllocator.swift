import GRDB

/// Hands out sequence numbers inside one write transaction: reads the counter once,
/// counts in memory, writes it back once. Safe because SQLite serialises writers.
struct SeqAllocator {
    private(set) var last: Int64
    private let start: Int64

    init(_ db: Database) throws {
        last = try Store.headSeq(db)
        start = last
    }

    mutating func next() -> Int64 {
        last += 1
        return last
    }

    /// Persists the counter; call once before the transaction commits.
    func finish(_ db: Database) throws {
        guard last != start else { return }
        try db.execute(sql: "UPDATE sequence SET value = ? WHERE id = 1", arguments: [last])
    }
}
