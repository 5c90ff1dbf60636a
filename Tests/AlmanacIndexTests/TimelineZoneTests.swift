import AlmanacCore
import Foundation
import Testing

@testable import AlmanacIndex

/// Buckets from `EventTimeZones` + `HistogramBuckets` against Foundation's `Calendar`, an
/// independent implementation of the same calendar rules.
@Suite struct TimelineZoneTests {
    static let zones = [
        "Europe/Berlin", "America/New_York", "America/Sao_Paulo", "Australia/Lord_Howe", "Asia/Kolkata", "Asia/Kathmandu",
        "Pacific/Apia", "Europe/Moscow", "UTC",
    ]

    func calendar(_ zone: TimeZone) -> Calendar {
        var c = Calendar(identifier: .gregorian)
        c.timeZone = zone
        c.firstWeekday = 2
        return c
    }

    @Test(arguments: zones)
    func dayWeekMonthYearEdgesMatchFoundation(_ name: String) throws {
        let zone = TimeZone(identifier: name)!
        let cal = calendar(zone)
        let from = try Timestamp(rfc3339: "2010-12-20T00:00:00Z").microseconds
        let to = try Timestamp(rfc3339: "2019-01-10T00:00:00Z").microseconds
        let units: [(HistogramInterval.CalendarUnit, Calendar.Component)] = [
            (.day, .day), (.week, .weekOfYear), (.month, .month), (.year, .year),
        ]
        for (unit, component) in units {
            // Foundation's week of Samoa's skipped 2011-12-30 ends a day late (its next week
            // is six days long); the local calendar says Monday 2012-01-02.
            if name == "Pacific/Apia" && unit == .week { continue }
            let schedule = try EventTimeZones.resolve(.named(name), from / 1_000_000 - 86_400 * 400, to / 1_000_000 + 86_400 * 400)
            let buckets = try HistogramBuckets(interval: .calendar(unit), zone: schedule, from: from, to: to)
            var expected: [Int64] = []
            var date = cal.dateInterval(of: component, for: Date(timeIntervalSince1970: Double(from / 1_000_000)))!.start
            expected.append(Int64(date.timeIntervalSince1970) * 1_000_000)
            while Int64(date.timeIntervalSince1970) * 1_000_000 < to {
                date = cal.dateInterval(of: component, for: date)!.end
                expected.append(Int64(date.timeIntervalSince1970) * 1_000_000)
            }
            #expect(buckets.edges == expected, "\(name) \(unit)")
        }
    }

    @Test func berlinHoursOnDaylightSavingDays() throws {
        let zone = try EventTimeZones.resolve(.named("Europe/Berlin"), 1_700_000_000, 1_740_000_000)
        let spring = try HistogramBuckets(
            interval: .calendar(.hour), zone: zone, from: try Timestamp(rfc3339: "2024-03-31T00:00:00+01:00").microseconds,
            to: try Timestamp(rfc3339: "2024-04-01T00:00:00+02:00").microseconds)
        #expect(spring.count == 23)
        let fall = try HistogramBuckets(
            interval: .calendar(.hour), zone: zone, from: try Timestamp(rfc3339: "2024-10-27T00:00:00+02:00").microseconds,
            to: try Timestamp(rfc3339: "2024-10-28T00:00:00+01:00").microseconds)
        #expect(fall.count == 25)
    }

    @Test func unknownZonesAreA400() {
        #expect(throws: AlmanacError.self) { try EventTimeZones.resolve(.named("Mars/Olympus_Mons"), 0, 100) }
        #expect(throws: AlmanacError.self) { try EventTimeZones.resolve(.named("GMT+2"), 0, 100) }
    }
}
