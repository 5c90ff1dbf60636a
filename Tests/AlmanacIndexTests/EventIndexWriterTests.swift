import AlmanacCore
import Foundation
import Testing

@testable import AlmanacIndex

@Suite struct EventIndexWriterTests {
    func changes(_ events: ArraySlice<Event>) -> [EventIndexChange] {
        events.map { EventIndexChange(seq: $0.seq, tenant: "t1", body: String(decoding: $0.jsonBytes, as: UTF8.self)) }
    }

    func monthCounts(_ directory: String) throws -> [EventMonth: Int] {
        var out: [EventMonth: Int] = [:]
        for month in try EventIndexWriter.monthDirectories(directory) {
            out[month] = try XapianDatabase(path: directory + "/" + month.name).documentCount
        }
        return out
    }

    @Test func routesEventsToTheirUTCMonth() throws {
        try withTemporaryDirectory { try routesEventsToTheirUTCMonth(in: $0) }
    }

    func routesEventsToTheirUTCMonth(in dir: String) throws {
        let events = TimelineFixture.events
        let writer = try EventIndexWriter(directory: dir, slots: SlotRegistry(path: nil), columns: nil)
        let outcome = try writer.apply(changes(events[...]), watermark: events.last!.seq, language: { _ in "english" })
        #expect(outcome.indexed == events.count)
        try writer.close()
        var expected: [EventMonth: Int] = [:]
        for e in events { expected[EventMonth(containing: e.occurredAt.microseconds), default: 0] += 1 }
        #expect(try monthCounts(dir) == expected)
        #expect(Set(expected.keys.map(\.name)) == ["2024-01", "2024-02", "2024-03", "2024-04", "2024-10", "2024-11"])
        #expect(EventIndexWriter.readState(dir) == events.last!.seq)
        #expect(try EventIndexWriter.documentCounts(directory: dir) == ["t1": events.count])
    }

    /// A crash after some months committed but before the resume point was recorded: the
    /// re-read skips what each month already holds, so nothing is indexed twice.
    @Test func resumeAfterACrashBetweenMonthCommitsIndexesEachEventOnce() throws {
        try withTemporaryDirectory { dir in
            let events = TimelineFixture.events
            let half = events.count / 2
            let first = try EventIndexWriter(directory: dir, slots: SlotRegistry(path: nil), columns: nil)
            try first.apply(changes(events[..<half]), watermark: events[half - 1].seq, language: { _ in "english" })
            try first.close()
            // Lose the resume point: the state file goes back to the start.
            try Data(#"{"last_seq":0}"#.utf8).write(to: URL(fileURLWithPath: dir + "/state.json"))
            let columns = EventColumnStore()
            let second = try EventIndexWriter(directory: dir, slots: SlotRegistry(path: nil), columns: columns)
            #expect(second.lastSeq == 0)
            let outcome = try second.apply(changes(events[...]), watermark: events.last!.seq, language: { _ in "english" })
            #expect(outcome.indexed == events.count - half)
            #expect(columns.rowCount == events.count)
            try second.close()
            #expect(try monthCounts(dir).values.reduce(0, +) == events.count)
        }
    }

    @Test func aSecondWriterIsRefused() throws {
        try withTemporaryDirectory { dir in
            let writer = try EventIndexWriter(directory: dir, slots: SlotRegistry(path: nil), columns: nil)
            #expect(throws: AlmanacError.self) { try EventIndexWriter(directory: dir, slots: SlotRegistry(path: nil), columns: nil) }
            try writer.close()
            let again = try EventIndexWriter(directory: dir, slots: SlotRegistry(path: nil), columns: nil)
            try again.close()
        }
    }

    @Test func expiredMonthsAreNeitherIndexedNorKept() throws {
        try withTemporaryDirectory { try expiredMonthsAreNeitherIndexedNorKept(in: $0) }
    }

    func expiredMonthsAreNeitherIndexedNorKept(in dir: String) throws {
        let events = TimelineFixture.events
        let writer = try EventIndexWriter(directory: dir, slots: SlotRegistry(path: nil), columns: nil)
        try writer.apply(
            changes(events[...]), watermark: events.last!.seq, retainFrom: EventMonth(year: 2024, month: 4),
            language: { _ in "english" })
        #expect(writer.months.map(\.name) == ["2024-04", "2024-10", "2024-11"])
        try writer.drop([EventMonth(year: 2024, month: 4)])
        #expect(writer.months.map(\.name) == ["2024-10", "2024-11"])
        try writer.close()
        #expect(try EventIndexWriter.monthDirectories(dir).map(\.name) == ["2024-10", "2024-11"])
    }
}
