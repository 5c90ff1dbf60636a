public import AlmanacCore

/// A UTC calendar month: the unit of the timeline's storage (`index/events/YYYY-MM`), of
/// reader pools and of retention.
public struct EventMonth: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// year * 12 + (month - 1).
    public let ordinal: Int64

    public init(ordinal: Int64) { self.ordinal = ordinal }

    public init(year: Int64, month: Int64) { ordinal = year * 12 + (month - 1) }

    /// The month holding `microseconds` (UTC).
    public init(containing microseconds: Int64) {
        let (y, m, _) = Timestamp.civil(fromDays: floorDiv(floorDiv(microseconds, 1_000_000), 86_400))
        self.init(year: y, month: m)
    }

    /// Parses `YYYY-MM` (a directory name); nil otherwise.
    public init?(name: String) {
        let b = Array(name.utf8)
        guard b.count == 7, b[4] == UInt8(ascii: "-") else { return nil }
        var y: Int64 = 0
        for i in 0..<4 {
            guard b[i] >= 48, b[i] <= 57 else { return nil }
            y = y * 10 + Int64(b[i] - 48)
        }
        guard b[5] >= 48, b[5] <= 57, b[6] >= 48, b[6] <= 57 else { return nil }
        let m = Int64(b[5] - 48) * 10 + Int64(b[6] - 48)
        guard y >= 1, (1...12).contains(m) else { return nil }
        self.init(year: y, month: m)
    }

    public var year: Int64 { floorDiv(ordinal, 12) }
    public var month: Int64 { ordinal - year * 12 + 1 }

    public var name: String {
        let y = String(year)
        let m = String(month)
        return String(repeating: "0", count: max(0, 4 - y.count)) + y + "-" + (m.count == 1 ? "0" : "") + m
    }

    public var description: String { name }

    /// First microsecond of the month.
    public var start: Int64 { Timestamp.days(fromCivil: year, month, 1) * 86_400_000_000 }
    /// First microsecond of the next month.
    public var end: Int64 { next.start }
    public var next: EventMonth { EventMonth(ordinal: ordinal + 1) }

    public static func < (a: EventMonth, b: EventMonth) -> Bool { a.ordinal < b.ordinal }

    /// Whether the month overlaps `range`.
    public func overlaps(_ range: EventTimeRange) -> Bool {
        if let from = range.from, end <= from { return false }
        if let to = range.to, start >= to { return false }
        return true
    }
}
