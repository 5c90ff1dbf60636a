/// A time zone as histograms see it: a UTC offset that changes at known instants.
///
/// Built for the span a request covers (AlmanacIndex fills it from the system's zoneinfo
/// through Foundation), so bucketing is plain arithmetic and binary search.
public struct ZoneSchedule: Sendable, Hashable {
    /// The canonical name (`UTC`, `+02:00`, `Europe/Berlin`).
    public var name: String
    /// Offset in seconds east of UTC before the first transition.
    public var initialOffset: Int64
    /// Instants (Unix seconds, ascending) where the offset changes ...
    public var transitions: [Int64]
    /// ... and the offset from each of them on.
    public var offsets: [Int64]

    public init(name: String, initialOffset: Int64, transitions: [Int64] = [], offsets: [Int64] = []) {
        precondition(transitions.count == offsets.count)
        self.name = name
        self.initialOffset = initialOffset
        self.transitions = transitions
        self.offsets = offsets
    }

    public static let utc = ZoneSchedule(name: "UTC", initialOffset: 0)

    public static func fixed(_ name: String, offsetSeconds: Int64) -> ZoneSchedule {
        ZoneSchedule(name: name, initialOffset: offsetSeconds)
    }

    /// The offset in force at `second`.
    @inline(__always)
    public func offset(at second: Int64) -> Int64 {
        if transitions.isEmpty { return initialOffset }
        // Last transition <= second.
        var lo = 0
        var hi = transitions.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if transitions[mid] <= second { lo = mid + 1 } else { hi = mid }
        }
        return lo == 0 ? initialOffset : offsets[lo - 1]
    }

    /// The first transition strictly after `second`, if any.
    @inline(__always)
    public func nextTransition(after second: Int64) -> Int64? {
        var lo = 0
        var hi = transitions.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if transitions[mid] <= second { lo = mid + 1 } else { hi = mid }
        }
        return lo < transitions.count ? transitions[lo] : nil
    }

    /// The last transition at or before `second`, if any.
    func lastTransition(atOrBefore second: Int64) -> Int64? {
        var lo = 0
        var hi = transitions.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if transitions[mid] <= second { lo = mid + 1 } else { hi = mid }
        }
        return lo > 0 ? transitions[lo - 1] : nil
    }
}

/// A `time_zone` parameter as written: UTC, a fixed `±HH:MM` offset, or an IANA name that
/// the index layer resolves (an unknown name is a 400 there).
public enum TimeZoneName: Sendable, Hashable, CustomStringConvertible {
    case utc
    /// Seconds east of UTC.
    case offset(Int64)
    case named(String)

    public init(parsing text: String) throws(AlmanacError) {
        switch text {
        case "UTC", "Z", "Etc/UTC", "GMT", "Etc/GMT", "+00:00", "-00:00":
            self = .utc
            return
        default: break
        }
        let bytes = Array(text.utf8)
        if let first = bytes.first, first == UInt8(ascii: "+") || first == UInt8(ascii: "-") {
            func digit(_ i: Int) -> Int64? {
                guard i < bytes.count, bytes[i] >= 48, bytes[i] <= 57 else { return nil }
                return Int64(bytes[i] - 48)
            }
            guard bytes.count == 6, bytes[3] == UInt8(ascii: ":"), let h1 = digit(1), let h2 = digit(2), let m1 = digit(4),
                let m2 = digit(5), h1 * 10 + h2 <= 18, m1 * 10 + m2 <= 59
            else {
                throw AlmanacError(.invalidParameter,
                    "time_zone '\(text.prefix(40))' is not an offset of the form +HH:MM or -HH:MM (at most 18:00); a literal + travels as %2B in a query string")
            }
            let seconds = ((h1 * 10 + h2) * 3600 + (m1 * 10 + m2) * 60) * (first == UInt8(ascii: "-") ? -1 : 1)
            self = seconds == 0 ? .utc : .offset(seconds)
            return
        }
        guard !text.isEmpty, text.utf8.count <= 64,
            text.utf8.allSatisfy({ b in
                (b >= 65 && b <= 90) || (b >= 97 && b <= 122) || (b >= 48 && b <= 57) || b == 47 || b == 95 || b == 45 || b == 43
            })
        else {
            throw AlmanacError(.invalidParameter, "unknown time zone '\(text.prefix(40))': use an IANA name such as Europe/Berlin, UTC, or an offset such as +02:00")
        }
        self = .named(text)
    }

    public var description: String {
        switch self {
        case .utc: return "UTC"
        case .offset(let s):
            let a = abs(s)
            let h = a / 3600, m = a / 60 % 60
            return (s < 0 ? "-" : "+") + (h < 10 ? "0" : "") + String(h) + ":" + (m < 10 ? "0" : "") + String(m)
        case .named(let name): return name
        }
    }
}
