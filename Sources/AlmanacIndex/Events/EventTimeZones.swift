import AlmanacCore
import Foundation

/// Turns `time_zone` names into offset schedules through Foundation's `TimeZone`, which
/// reads the system's zoneinfo (`/usr/share/zoneinfo` on Linux).
public enum EventTimeZones {
    /// Known IANA names (plus `UTC`), for validation.
    private static let known: Set<String> = Set(TimeZone.knownTimeZoneIdentifiers).union(["UTC"])

    /// The offsets in force over `[fromSecond, toSecond]`; unknown names are a 400.
    public static let resolve: ZoneResolver = { (name: TimeZoneName, fromSecond: Int64, toSecond: Int64) throws(AlmanacError) -> ZoneSchedule in
        switch name {
        case .utc: return .utc
        case .offset(let seconds): return .fixed(name.description, offsetSeconds: seconds)
        case .named(let identifier):
            guard isKnown(identifier), let zone = TimeZone(identifier: identifier) else {
                throw AlmanacError.invalidParameter(
                    "time_zone", "unknown time zone '\(identifier.prefix(64))': use an IANA name such as Europe/Berlin, UTC, or an offset such as +02:00")
            }
            return schedule(zone, name: identifier, fromSecond: fromSecond, toSecond: toSecond)
        }
    }

    /// An IANA name: listed by Foundation or present in the system's zoneinfo (Foundation
    /// lists `Asia/Calcutta` but not `Asia/Kolkata`). Foundation's own spellings such as
    /// `GMT+2` are not IANA names and are refused.
    static func isKnown(_ identifier: String) -> Bool {
        if known.contains(identifier) { return true }
        guard !identifier.contains(".."), identifier.contains("/") else { return false }
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: "/usr/share/zoneinfo/" + identifier, isDirectory: &isDirectory) && !isDirectory.boolValue
    }

    static func schedule(_ zone: TimeZone, name: String, fromSecond: Int64, toSecond: Int64) -> ZoneSchedule {
        let start = Date(timeIntervalSince1970: Double(fromSecond))
        let initial = Int64(zone.secondsFromGMT(for: start))
        var transitions: [Int64] = []
        var offsets: [Int64] = []
        var cursor = start
        while let next = zone.nextDaylightSavingTimeTransition(after: cursor), transitions.count < 100_000 {
            let second = Int64(next.timeIntervalSince1970.rounded())
            if second > toSecond { break }
            let offset = Int64(zone.secondsFromGMT(for: next))
            let previous = offsets.last ?? initial
            if offset != previous {
                transitions.append(second)
                offsets.append(offset)
            }
            cursor = next
        }
        return ZoneSchedule(name: name, initialOffset: initial, transitions: transitions, offsets: offsets)
    }
}
