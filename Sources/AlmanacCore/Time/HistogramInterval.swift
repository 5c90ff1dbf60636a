/// The interval of a `date_histogram` (API.md, "Aggregate request"): a calendar unit
/// (`minute|hour|day|week|month|year`, weeks from Monday) or a fixed length (`30s`, `5m`,
/// `12h`, `2d`).
///
/// Both kinds align in the request's time zone: a bucket starts where the local time is a
/// multiple of the unit (calendar) or of the length counted from the local epoch (fixed).
/// Where the zone's offset changes (daylight saving), a bucket is as long as the local
/// clock says: a calendar day is 23 or 25 hours, an hourly bucket in a repeated hour is
/// one of two distinct buckets.
public enum HistogramInterval: Sendable, Hashable, CustomStringConvertible {
    case calendar(CalendarUnit)
    /// A fixed length in seconds (at least 1).
    case fixed(seconds: Int64)

    public enum CalendarUnit: String, Sendable, Hashable, CaseIterable {
        case minute, hour, day, week, month, year
    }

    /// The longest fixed interval accepted (a bucket per ~27 years is silly but harmless).
    public static let maxFixedSeconds: Int64 = 10_000 * 86_400

    /// Parses `day`, `week`, ..., or `<N>s|m|h|d` with N a positive integer.
    public init(parsing text: String) throws(AlmanacError) {
        if let unit = CalendarUnit(rawValue: text) {
            self = .calendar(unit)
            return
        }
        let problem = AlmanacError(.invalidParameter,
            "unknown interval '\(text.prefix(32))': use minute, hour, day, week, month, year, or a fixed length such as 30s, 5m, 12h, 2d")
        guard let suffix = text.last, text.count >= 2, text.count <= 12 else { throw problem }
        let digits = text.dropLast()
        guard digits.allSatisfy({ $0.isASCII && $0.isNumber }), let n = Int64(digits), n > 0 else { throw problem }
        let unit: Int64
        switch suffix {
        case "s": unit = 1
        case "m": unit = 60
        case "h": unit = 3600
        case "d": unit = 86_400
        default: throw problem
        }
        let (seconds, overflow) = n.multipliedReportingOverflow(by: unit)
        guard !overflow, seconds <= Self.maxFixedSeconds else {
            throw AlmanacError(.invalidParameter, "interval '\(text)' is longer than \(Self.maxFixedSeconds / 86_400)d")
        }
        self = .fixed(seconds: seconds)
    }

    /// The canonical spelling (`day`, `300s`).
    public var description: String {
        switch self {
        case .calendar(let unit): unit.rawValue
        case .fixed(let seconds): "\(seconds)s"
        }
    }

    /// The nominal length in seconds (months and years: their shortest), for estimates.
    public var nominalSeconds: Int64 {
        switch self {
        case .calendar(.minute): 60
        case .calendar(.hour): 3600
        case .calendar(.day): 86_400
        case .calendar(.week): 7 * 86_400
        case .calendar(.month): 28 * 86_400
        case .calendar(.year): 365 * 86_400
        case .fixed(let s): s
        }
    }

    /// The bucket label of a local time (seconds since the local epoch): consecutive
    /// buckets have consecutive labels.
    @inline(__always)
    func label(ofLocal local: Int64) -> Int64 {
        switch self {
        case .fixed(let s): return floorDiv(local, s)
        case .calendar(.minute): return floorDiv(local, 60)
        case .calendar(.hour): return floorDiv(local, 3600)
        case .calendar(.day): return floorDiv(local, 86_400)
        case .calendar(.week):
            // 1970-01-05 (day 4) was a Monday.
            return floorDiv(floorDiv(local, 86_400) - 4, 7)
        case .calendar(.month):
            let (y, m, _) = Timestamp.civil(fromDays: floorDiv(local, 86_400))
            return y * 12 + (m - 1)
        case .calendar(.year):
            return Timestamp.civil(fromDays: floorDiv(local, 86_400)).year
        }
    }

    /// The local time (seconds since the local epoch) where the bucket `label` starts.
    @inline(__always)
    func start(ofLabel label: Int64) -> Int64 {
        switch self {
        case .fixed(let s): return label * s
        case .calendar(.minute): return label * 60
        case .calendar(.hour): return label * 3600
        case .calendar(.day): return label * 86_400
        case .calendar(.week): return (label * 7 + 4) * 86_400
        case .calendar(.month):
            let y = floorDiv(label, 12)
            let m = label - y * 12 + 1
            return Timestamp.days(fromCivil: y, m, 1) * 86_400
        case .calendar(.year):
            return Timestamp.days(fromCivil: label, 1, 1) * 86_400
        }
    }
}
