import AlmanacCore
import Foundation
import Testing

@testable import AlmanacIndex

/// The fixture's events, parsed as the store would hold them.
enum TimelineFixture {
    static let events: [Event] = {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/" {
            url.deleteLastPathComponent()
            if FileManager.default.fileExists(atPath: url.path + "/fixtures/events_5k.ndjson") { break }
        }
        let text = try! String(contentsOfFile: url.path + "/fixtures/events_5k.ndjson", encoding: .utf8)
        return text.split(separator: "\n").enumerated().map { i, line in
            let draft = try! EventValidator().validate(try! JSONParser.parse(String(line)))
            return draft.event(id: draft.id!, receivedAt: Timestamp(microseconds: 0), seq: Int64(i + 1))
        }
    }()

    /// The reference evaluator's view of an event's fields.
    static func values(_ event: Event) -> (String) -> [TypedValue] {
        { field in
            if field == "occurred_at" { return [.time(event.occurredAt)] }
            if field.hasPrefix("attributes.") {
                switch event.attributes[String(field.dropFirst(11))] {
                case .string(let s)?: return [.string(s)]
                case .bool(let b)?: return [.bool(b)]
                case let v? where v.numberValue != nil: return [.number(v.numberValue!)]
                default: return []
                }
            }
            let keyword: String? =
                switch field {
                case "id": event.id
                case "type": event.type
                case "source": event.source
                case "actor": event.actor
                case "severity": event.severity.rawValue
                case "entity.type": event.entity?.type
                case "entity.id": event.entity?.id
                default: nil
                }
            return keyword.map { [.string($0)] } ?? []
        }
    }
}

@Suite struct EventColumnTests {
    static let filters = [
        #"source = "apple/swift-nio""#,
        #"source != "apple/swift-nio""#,
        #"type = "release" OR attributes.insertions > 1000"#,
        #"NOT actor EXISTS"#,
        #"actor IN ["Tim Condon", "Gwynne Raskind", "nobody"]"#,
        #"attributes.email_domain = "apple.com" AND NOT type = "release""#,
        #"attributes.files_changed 2 TO 5"#,
        #"attributes.files_changed != 1"#,
        #"attributes.email_domain != "gmail.com""#,
        #"attributes.email_domain > "m""#,
        #"occurred_at >= "2024-03-31T00:00:00+01:00" AND occurred_at < "2024-04-01T00:00:00+02:00""#,
        #"occurred_at IN ["2024-01-02T20:38:20Z"]"#,
        #"attributes.missing EXISTS OR attributes.deletions = 0"#,
        #"attributes.insertions = "12""#,
        #"entity.type = "repository" AND entity.id >= "v""#,
        #"severity = "info" AND (source = "vapor/vapor" OR source = "groue/GRDB.swift")"#,
        #"actor < "B""#,
    ]

    @Test(arguments: filters)
    func columnFiltersAgreeWithTheReferenceEvaluator(_ text: String) throws {
        let filter = try FilterSchema.events.parse(text)
        var columns = TenantColumns()
        for e in TimelineFixture.events { columns.append(e) }
        let compiled = ColumnFilter(filter, columns: columns)
        // Rows land in month chunks; map each back to its event by (month, order).
        var byMonth: [EventMonth: [Event]] = [:]
        for e in TimelineFixture.events { byMonth[EventMonth(containing: e.occurredAt.microseconds), default: []].append(e) }
        var matched = 0
        for (month, chunks) in columns.months {
            var offset = 0
            for chunk in chunks {
                let mask = compiled.evaluate(chunk, columns: columns)
                for r in 0..<chunk.count {
                    let event = byMonth[month]![offset + r]
                    let expected = filter.matches(TimelineFixture.values(event))
                    #expect(mask[r] == expected, "\(text): \(event.id)")
                    if expected { matched += 1 }
                }
                offset += chunk.count
            }
        }
        _ = matched
    }

    @Test func termsCountExactlyWithTiesByKey() throws {
        var columns = TenantColumns()
        for e in TimelineFixture.events { columns.append(e) }
        let request = try EventAggregateRequest(json: try JSONParser.parse(#"{"aggs": {"a": {"terms": {"field": "actor", "size": 1000}}, "d": {"terms": {"field": "attributes.deletions", "size": 5}}}}"#))
        let result = try ColumnAggregator(
            columns: columns, filter: nil, range: EventTimeRange(), aggregations: request.aggregations, zones: EventTimeZones.resolve,
            maxBuckets: 10_000
        ).run()
        #expect(result.total == TimelineFixture.events.count)
        guard case .terms(let actors) = result.results[0].result, case .terms(let deletions) = result.results[1].result else {
            Issue.record("wrong result kinds")
            return
        }
        var expected: [ExactString: Int] = [:]
        for e in TimelineFixture.events { expected[ExactString(e.actor!), default: 0] += 1 }
        let sorted = expected.sorted { $0.value != $1.value ? $0.value > $1.value : Array($0.key.value.utf8).lexicographicallyPrecedes(Array($1.key.value.utf8)) }
        #expect(actors.buckets.map(\.key) == Array(sorted.prefix(1000)).map(\.key.value))
        #expect(actors.buckets.map(\.count) == Array(sorted.prefix(1000)).map { Double($0.value) })
        #expect(actors.missingCount == 0)
        #expect(actors.otherCount == max(0, Double(TimelineFixture.events.count) - actors.buckets.reduce(0) { $0 + $1.count }))
        var byDeletions: [Double: Int] = [:]
        for e in TimelineFixture.events { byDeletions[e.attributes["deletions"]!.numberValue!, default: 0] += 1 }
        let topDeletions = byDeletions.max { $0.value != $1.value ? $0.value < $1.value : $0.key > $1.key }!
        #expect(deletions.buckets.first?.key == JSONWriter.string(.double(topDeletions.key)))
        #expect(deletions.buckets.first?.count == Double(topDeletions.value))
        #expect(deletions.buckets.reduce(0) { $0 + $1.count } + deletions.otherCount == Double(TimelineFixture.events.count))
    }

    /// `sum`: every count is the sum of a numeric attribute over the bucket's events (rows
    /// without it add nothing), in terms (buckets, other, missing) and in histograms (counts
    /// and split counts), and the ranking follows the sums.
    @Test func sumMakesEveryCountTheSumOfAField() throws {
        var columns = TenantColumns()
        for e in TimelineFixture.events { columns.append(e) }
        let request = try EventAggregateRequest(json: try JSONParser.parse(#"""
            {"from": "2024-01-01T00:00:00Z", "to": "2024-05-01T00:00:00Z", "aggs": {
              "src": {"terms": {"field": "source", "size": 5, "sum": "attributes.insertions"}},
              "dom": {"terms": {"field": "attributes.email_domain", "size": 3, "sum": "attributes.deletions"}},
              "none": {"terms": {"field": "type", "sum": "attributes.no_such_field"}},
              "month": {"date_histogram": {"interval": "month", "sum": "attributes.insertions", "split_by": {"field": "type", "size": 1}}}}}
            """#))
        let result = try ColumnAggregator(
            columns: columns, filter: nil, range: request.range, aggregations: request.aggregations, zones: EventTimeZones.resolve,
            maxBuckets: 10_000
        ).run()
        let events = TimelineFixture.events.filter {
            $0.occurredAt.microseconds >= (try! Timestamp(rfc3339: "2024-01-01T00:00:00Z")).microseconds
                && $0.occurredAt.microseconds < (try! Timestamp(rfc3339: "2024-05-01T00:00:00Z")).microseconds
        }
        func value(_ e: Event, _ name: String) -> Double { e.attributes[name]?.numberValue ?? 0 }
        func ranked(_ sums: [String: Double]) -> [(key: String, value: Double)] {
            sums.filter { $0.value != 0 }.sorted {
                $0.value != $1.value ? $0.value > $1.value : Array($0.key.utf8).lexicographicallyPrecedes(Array($1.key.utf8))
            }.map { (key: $0.key, value: $0.value) }
        }
        #expect(result.total == events.count)
        guard case .terms(let src) = result.results[0].result, case .terms(let dom) = result.results[1].result,
            case .terms(let none) = result.results[2].result, case .dateHistogram(let month) = result.results[3].result
        else {
            Issue.record("wrong result kinds")
            return
        }
        let insertions = events.reduce(0) { $0 + value($1, "insertions") }
        var bySource: [String: Double] = [:]
        for e in events { bySource[e.source, default: 0] += value(e, "insertions") }
        let top = ranked(bySource).prefix(5)
        #expect(src.buckets.map(\.key) == top.map(\.key))
        #expect(src.buckets.map(\.count) == top.map(\.value))
        #expect(src.otherCount == insertions - top.reduce(0) { $0 + $1.value })
        #expect(src.missingCount == 0)

        var byDomain: [String: Double] = [:]
        var missingDomain = 0.0
        for e in events {
            if let d = e.attributes["email_domain"]?.stringValue { byDomain[d, default: 0] += value(e, "deletions") } else {
                missingDomain += value(e, "deletions")
            }
        }
        let topDomains = ranked(byDomain).prefix(3)
        #expect(dom.buckets.map(\.key) == topDomains.map(\.key))
        #expect(dom.buckets.map(\.count) == topDomains.map(\.value))
        #expect(dom.missingCount == missingDomain)
        #expect(dom.otherCount == events.reduce(0) { $0 + value($1, "deletions") } - missingDomain - topDomains.reduce(0) { $0 + $1.value })

        // A field no event has: every sum is 0, so nothing is listed.
        #expect(none.buckets.isEmpty && none.otherCount == 0 && none.missingCount == 0)

        #expect(month.buckets.count == 4)
        #expect(month.splitKeys == ["commit"])
        var byMonth: [Int64: (all: Double, commit: Double)] = [:]
        for e in events {
            let key = EventMonth(containing: e.occurredAt.microseconds).start
            var entry = byMonth[key] ?? (0, 0)
            entry.all += value(e, "insertions")
            if e.type == "commit" { entry.commit += value(e, "insertions") }
            byMonth[key] = entry
        }
        for b in month.buckets {
            #expect(b.count == byMonth[b.key]?.all ?? 0)
            #expect(b.split == [byMonth[b.key]?.commit ?? 0, (byMonth[b.key]?.all ?? 0) - (byMonth[b.key]?.commit ?? 0)])
        }
        #expect(month.buckets.reduce(0) { $0 + $1.count } == insertions)
    }
}
