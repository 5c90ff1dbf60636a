/// A point in time as microseconds since 1970-01-01T00:00:00Z.
///
/// Almanac parses and prints RFC 3339 itself: it is on every write and every rendered
/// event, and Foundation's formatters are both slower and laxer than the contract.
public struct Timestamp: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var microseconds: Int64

    public init(microseconds: Int64) { self.microseconds = microseconds }
    public init(seconds: Int64) { self.microseconds = seconds * 1_000_000 }

    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool { lhs.microseconds < rhs.microseconds }

    public var seconds: Int64 { floorDiv(microseconds, 1_000_000) }

    /// Now, from the system clock.
    public static func now() -> Timestamp {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Timestamp(microseconds: Int64(ts.tv_sec) * 1_000_000 + Int64(ts.tv_nsec) / 1000)
    }

    public var description: String { rfc3339 }

    /// `2026-11-23T10:00:00Z`, with fractional seconds only when non-zero (trailing zeros trimmed).
    public var rfc3339: String {
        let secs = floorDiv(microseconds, 1_000_000)
        let micros = microseconds - secs * 1_000_000
        let days = floorDiv(secs, 86_400)
        let secOfDay = secs - days * 86_400
        let (y, m, d) = Timestamp.civil(fromDays: days)
        var out: [UInt8] = []
        out.reserveCapacity(28)
        func pad(_ v: Int64, _ width: Int) {
            var digits: [UInt8] = []
            var n = v
            repeat {
                digits.append(UInt8(ascii: "0") + UInt8(n % 10))
                n /= 10
            } while n > 0
            while digits.count < width { digits.append(UInt8(ascii: "0")) }
            out.append(contentsOf: digits.reversed())
        }
        if y < 0 { out.append(UInt8(ascii: "-")) }
        pad(abs(y), 4)
        out.append(UInt8(ascii: "-"))
        pad(m, 2)
        out.append(UInt8(ascii: "-"))
        pad(d, 2)
        out.append(UInt8(ascii: "T"))
        pad(secOfDay / 3600, 2)
        out.append(UInt8(ascii: ":"))
        pad(secOfDay / 60 % 60, 2)
        out.append(UInt8(ascii: ":"))
        pad(secOfDay % 60, 2)
        if micros != 0 {
            out.append(UInt8(ascii: "."))
            var frac = micros
            var width = 6
            while frac % 10 == 0 {
                frac /= 10
                width -= 1
            }
            pad(frac, width)
        }
        out.append(UInt8(ascii: "Z"))
        return String(decoding: out, as: UTF8.self)
    }

    public struct ParseError: Error, Sendable, Equatable, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    /// Parses RFC 3339 (`YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)`), any offset, years 0001-9999.
    public init(rfc3339 text: String) throws(ParseError) {
        var text = text
        let result: Int64? = text.withUTF8 { Timestamp.parse($0) }
        guard let result else {
            throw ParseError(message: "not an RFC 3339 time (expected e.g. 2024-01-02T03:04:05Z): \"\(text.prefix(64))\"")
        }
        microseconds = result
    }

    static func parse(_ s: UnsafeBufferPointer<UInt8>) -> Int64? {
        // Minimum: YYYY-MM-DDTHH:MM:SSZ (20 bytes).
        guard s.count >= 20, s.count <= 64 else { return nil }
        var i = 0
        func digits(_ n: Int) -> Int64? {
            guard i + n <= s.count else { return nil }
            var v: Int64 = 0
            for _ in 0..<n {
                let c = s[i]
                guard c >= 48 && c <= 57 else { return nil }
                v = v * 10 + Int64(c - 48)
                i += 1
            }
            return v
        }
        func expect(_ c: UInt8) -> Bool {
            guard i < s.count, s[i] == c else { return false }
            i += 1
            return true
        }
        guard let year = digits(4), expect(45), let month = digits(2), expect(45), let day = digits(2) else { return nil }
        guard i < s.count, s[i] == 84 || s[i] == 116 || s[i] == 32 else { return nil }  // T, t, space
        i += 1
        guard let hour = digits(2), expect(58), let minute = digits(2), expect(58), let second = digits(2) else { return nil }
        guard year >= 1, (1...12).contains(month), day >= 1, day <= daysInMonth(year, month),
            hour <= 23, minute <= 59, second <= 59
        else { return nil }
        var micros: Int64 = 0
        if i < s.count, s[i] == 46 {  // '.'
            i += 1
            var n = 0
            while i < s.count, s[i] >= 48, s[i] <= 57 {
                if n < 6 { micros = micros * 10 + Int64(s[i] - 48) }
                n += 1
                i += 1
            }
            guard n > 0 else { return nil }
            var k = n
            while k < 6 {
                micros *= 10
                k += 1
            }
        }
        guard i < s.count else { return nil }
        var offsetSeconds: Int64 = 0
        switch s[i] {
        case 90, 122:  // Z z
            i += 1
        case 43, 45:  // + -
            let sign: Int64 = s[i] == 45 ? -1 : 1
            i += 1
            guard let oh = digits(2), expect(58), let om = digits(2), oh <= 23, om <= 59 else { return nil }
            offsetSeconds = sign * (oh * 3600 + om * 60)
        default:
            return nil
        }
        guard i == s.count else { return nil }
        let days = Timestamp.days(fromCivil: year, month, day)
        let secs = days * 86_400 + hour * 3600 + minute * 60 + second - offsetSeconds
        return secs * 1_000_000 + micros
    }

    static func daysInMonth(_ y: Int64, _ m: Int64) -> Int64 {
        switch m {
        case 2: return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    public static func days(fromCivil y0: Int64, _ m: Int64, _ d: Int64) -> Int64 {
        let y = m <= 2 ? y0 - 1 : y0
        let era = floorDiv(y, 400)
        let yoe = y - era * 400
        let mp = (m + 9) % 12
        let doy = (153 * mp + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// The proleptic Gregorian date of a day number since 1970-01-01.
    public static func civil(fromDays z0: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = z0 + 719_468
        let era = floorDiv(z, 146_097)
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (m <= 2 ? y + 1 : y, m, d)
    }
}

@inline(__always)
public func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
    let q = a / b
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Duration {
    /// The duration in seconds, as a `Double` (for logs and reports).
    public var inSeconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
