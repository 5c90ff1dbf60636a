import Testing

@testable import AlmanacCore
import AlmanacTestSupport

/// Europe/Berlin in 2024: CET (+01:00), CEST (+02:00) from 2024-03-31T01:00Z to 2024-10-27T01:00Z.
let berlin2024 = ZoneSchedule(
    name: "Europe/Berlin", initialOffset: 3600, transitions: [1_711_846_800, 1_729_990_800], offsets: [7200, 3600])

func t(_ text: String) -> Int64 { try! Timestamp(rfc3339: text).microseconds }
func rfc(_ us: Int64) -> String { Timestamp(microseconds: us).rfc3339 }

@Suite struct HistogramIntervalTests {
    @Test func parsesCalendarAndFixedIntervals() throws {
        #expect(try HistogramInterval(parsing: "day") == .calendar(.day))
        #expect(try HistogramInterval(parsing: "week") == .calendar(.week))
        #expect(try HistogramInterval(parsing: "30s") == .fixed(seconds: 30))
        #expect(try HistogramInterval(parsing: "5m") == .fixed(seconds: 300))
        #expect(try HistogramInterval(parsing: "12h") == .fixed(seconds: 43_200))
        #expect(try HistogramInterval(parsing: "2d") == .fixed(seconds: 172_800))
    }

    @Test(arguments: ["", "d", "0d", "-1h", "1w", "1M", "fortnight", "1.5h", "h1", "99999999999999999d", "Day"])
    func rejectsUnknownIntervals(_ text: String) {
        #expect(throws: AlmanacError.self) { try HistogramInterval(parsing: text) }
    }

    @Test func weeksStartOnMonday() throws {
        let b = try HistogramBuckets(interval: .calendar(.week), zone: .utc, from: t("2024-01-03T12:00:00Z"), to: t("2024-01-20T00:00:00Z"))
        #expect(b.edges.map(rfc) == ["2024-01-01T00:00:00Z", "2024-01-08T00:00:00Z", "2024-01-15T00:00:00Z", "2024-01-22T00:00:00Z"])
    }

    @Test func monthsAndYearsHaveCalendarLengths() throws {
        let m = try HistogramBuckets(interval: .calendar(.month), zone: .utc, from: t("2024-01-31T00:00:00Z"), to: t("2024-03-01T00:00:00Z"))
        #expect(m.edges.map(rfc) == ["2024-01-01T00:00:00Z", "2024-02-01T00:00:00Z", "2024-03-01T00:00:00Z"])
        let y = try HistogramBuckets(interval: .calendar(.year), zone: .utc, from: t("2023-06-01T00:00:00Z"), to: t("2025-01-01T00:00:01Z"))
        #expect(y.count == 3)
        #expect(y.index(of: t("2024-12-31T23:59:59Z")) == 1)
    }
}

@Suite struct TimeZoneNameTests {
    @Test func parsesOffsetsAndNames() throws {
        #expect(try TimeZoneName(parsing: "UTC") == .utc)
        #expect(try TimeZoneName(parsing: "+00:00") == .utc)
        #expect(try TimeZoneName(parsing: "+02:00") == .offset(7200))
        #expect(try TimeZoneName(parsing: "-05:30") == .offset(-19_800))
        #expect(try TimeZoneName(parsing: "-05:30").description == "-05:30")
        #expect(try TimeZoneName(parsing: "Europe/Berlin") == .named("Europe/Berlin"))
    }

    @Test(arguments: ["+2", "+25:00", "+02:60", " 02:00", "02:00", "", "Europe/Berlin; rm", "../etc/passwd x"])
    func rejectsMalformedZones(_ text: String) {
        #expect(throws: AlmanacError.self) { try TimeZoneName(parsing: text) }
    }
}

@Suite struct HistogramBucketsTests {
    @Test func utcDaysAreUniform() throws {
        let b = try HistogramBuckets(interval: .calendar(.day), zone: .utc, from: t("2024-01-01T00:00:00Z"), to: t("2024-02-01T00:00:00Z"))
        #expect(b.count == 31)
        #expect(b.index(of: t("2024-01-01T00:00:00Z")) == 0)
        #expect(b.index(of: t("2024-01-31T23:59:59.999999Z")) == 30)
        #expect(b.index(of: t("2024-02-01T00:00:00Z")) == nil)
        #expect(b.index(of: t("2023-12-31T23:59:59Z")) == nil)
    }

    @Test func rangeInsideABucketStillGivesThatBucket() throws {
        let b = try HistogramBuckets(interval: .calendar(.day), zone: .utc, from: t("2024-01-05T10:00:00Z"), to: t("2024-01-05T11:00:00Z"))
        #expect(b.edges.map(rfc) == ["2024-01-05T00:00:00Z", "2024-01-06T00:00:00Z"])
    }

    @Test func berlinDaysAroundSpringForwardHave23Hours() throws {
        let b = try HistogramBuckets(
            interval: .calendar(.day), zone: berlin2024, from: t("2024-03-30T00:00:00+01:00"), to: t("2024-04-02T00:00:00+02:00"))
        #expect(b.edges.map(rfc) == [
            "2024-03-29T23:00:00Z", "2024-03-30T23:00:00Z", "2024-03-31T22:00:00Z", "2024-04-01T22:00:00Z",
        ])
        let lengths = zip(b.edges.dropFirst(), b.edges).map { ($0 - $1) / 3_600_000_000 }
        #expect(lengths == [24, 23, 24])
    }

    @Test func berlinDayAroundFallBackHas25Hours() throws {
        let b = try HistogramBuckets(
            interval: .calendar(.day), zone: berlin2024, from: t("2024-10-27T00:00:00+02:00"), to: t("2024-10-28T00:00:00+01:00"))
        #expect(b.edges.map(rfc) == ["2024-10-26T22:00:00Z", "2024-10-27T23:00:00Z"])
    }

    @Test func berlinHoursSkipAndRepeat() throws {
        let spring = try HistogramBuckets(
            interval: .calendar(.hour), zone: berlin2024, from: t("2024-03-31T00:00:00+01:00"), to: t("2024-04-01T00:00:00+02:00"))
        #expect(spring.count == 23)
        let fall = try HistogramBuckets(
            interval: .calendar(.hour), zone: berlin2024, from: t("2024-10-27T00:00:00+02:00"), to: t("2024-10-28T00:00:00+01:00"))
        #expect(fall.count == 25)
        // The repeated 02:00 hour: 00:00Z (CEST) and 01:00Z (CET) start separate buckets.
        #expect(fall.edges.map(rfc).contains("2024-10-27T00:00:00Z"))
        #expect(fall.edges.map(rfc).contains("2024-10-27T01:00:00Z"))
        #expect(fall.uniformWidth == 3_600_000_000)
    }

    @Test func fixedOffsetsAlignLocally() throws {
        let b = try HistogramBuckets(
            interval: .calendar(.day), zone: .fixed("+05:30", offsetSeconds: 19_800), from: t("2024-01-01T00:00:00Z"),
            to: t("2024-01-03T00:00:00Z"))
        #expect(b.edges.map(rfc) == ["2023-12-31T18:30:00Z", "2024-01-01T18:30:00Z", "2024-01-02T18:30:00Z", "2024-01-03T18:30:00Z"])
        let f = try HistogramBuckets(
            interval: .fixed(seconds: 12 * 3600), zone: .fixed("-03:00", offsetSeconds: -10_800), from: t("2024-01-01T00:00:00Z"),
            to: t("2024-01-02T00:00:00Z"))
        #expect(f.edges.map(rfc) == ["2023-12-31T15:00:00Z", "2024-01-01T03:00:00Z", "2024-01-01T15:00:00Z", "2024-01-02T03:00:00Z"])
    }

    @Test func aGapOverMidnightStartsTheDayWhereTheGapEnds() throws {
        // A zone that jumps from 00:00 to 01:00 local (like America/Sao_Paulo in 2018).
        let zone = ZoneSchedule(name: "gap", initialOffset: -10_800, transitions: [t("2018-11-04T03:00:00Z") / 1_000_000], offsets: [-7200])
        let b = try HistogramBuckets(interval: .calendar(.day), zone: zone, from: t("2018-11-03T12:00:00Z"), to: t("2018-11-05T12:00:00Z"))
        #expect(b.edges.map(rfc) == ["2018-11-03T03:00:00Z", "2018-11-04T03:00:00Z", "2018-11-05T02:00:00Z", "2018-11-06T02:00:00Z"])
    }

    @Test func tooManyBucketsIsA400() {
        #expect(throws: AlmanacError.self) {
            try HistogramBuckets(interval: .calendar(.minute), zone: .utc, from: t("2024-01-01T00:00:00Z"), to: t("2024-02-01T00:00:00Z"))
        }
        #expect(throws: AlmanacError.self) {
            // Just over: 10 001 one-second buckets.
            try HistogramBuckets(interval: .fixed(seconds: 1), zone: .utc, from: 0, to: 10_001_000_000)
        }
        #expect((try? HistogramBuckets(interval: .fixed(seconds: 1), zone: .utc, from: 0, to: 10_000_000_000))?.count == 10_000)
    }

    /// Every instant falls in exactly the bucket whose edges hold it, for many random
    /// ranges, intervals and zones (binary search agrees with a linear scan).
    @Test func indexAgreesWithALinearScan() throws {
        var rng = FilterTestRNG(seed: 7)
        let intervals: [HistogramInterval] = [.calendar(.hour), .calendar(.day), .calendar(.week), .calendar(.month), .fixed(seconds: 5400)]
        for _ in 0..<200 {
            let interval = intervals[Int(rng.next() % UInt64(intervals.count))]
            let from = t("2024-01-01T00:00:00Z") + Int64(rng.next() % 300 * 86_400) * 1_000_000
            let to = from + Int64(1 + rng.next() % (40 * 86_400)) * 1_000_000
            guard let b = try? HistogramBuckets(interval: interval, zone: berlin2024, from: from, to: to) else { continue }
            #expect(b.edges.first! <= from && b.edges.last! >= to)
            #expect(zip(b.edges.dropFirst(), b.edges).allSatisfy { $0 > $1 })
            for _ in 0..<20 {
                let x = from + Int64(rng.next() % UInt64(to - from))
                let linear = b.edges.indices.last { b.edges[$0] <= x }!
                #expect(b.index(of: x) == linear)
            }
        }
    }
}
