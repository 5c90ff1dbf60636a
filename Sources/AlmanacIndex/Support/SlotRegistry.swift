import AlmanacCore
import Foundation
import Synchronization

/// Assigns each attribute name its own value slot (from `AttributeValue.firstDynamicSlot`),
/// so numeric and string range filters on `attributes.<name>` run as Xapian value ranges.
///
/// The assignment lives in a small JSON file next to the index, rewritten atomically by the
/// single indexer before it commits documents that use a new slot; readers look names up
/// in memory.
public final class SlotRegistry: Sendable {
    private struct State {
        var slots: [String: UInt32]
        var next: UInt32
        var dirty: Bool
    }

    private let state: Mutex<State>
    public let path: String?
    /// At most this many attribute names get a slot; later ones are still filterable by equality.
    public let capacity: Int

    public init(path: String?, capacity: Int = 50_000) {
        self.path = path
        self.capacity = capacity
        var slots: [String: UInt32] = [:]
        if let path, let data = FileManager.default.contents(atPath: path),
            case .object(let o)? = try? JSONParser.parse(Array(data))
        {
            for entry in o { if let v = entry.value.integerValue { slots[entry.key] = UInt32(v) } }
        }
        let next = (slots.values.max().map { $0 + 1 }) ?? AttributeValue.firstDynamicSlot
        state = Mutex(State(slots: slots, next: next, dirty: false))
    }

    /// The slot of `name`, assigning one when the registry is writable and has room.
    public func slot(for name: String) -> UInt32? {
        state.withLock { s in
            if let slot = s.slots[name] { return slot }
            guard s.slots.count < capacity else { return nil }
            let slot = s.next
            s.next += 1
            s.slots[name] = slot
            s.dirty = true
            return slot
        }
    }

    /// The slot of `name` if it has one (readers never assign).
    public func existingSlot(for name: String) -> UInt32? {
        state.withLock { $0.slots[name] }
    }

    /// Writes new assignments to disk (temp file + rename). Call before committing documents.
    public func persistIfNeeded() throws {
        guard let path else { return }
        let snapshot: [String: UInt32]? = state.withLock { s in
            guard s.dirty else { return nil }
            s.dirty = false
            return s.slots
        }
        guard let snapshot else { return }
        var o = JSONObject()
        for (name, slot) in snapshot.sorted(by: { $0.value < $1.value }) { o[name] = .int(Int64(slot)) }
        let tmp = path + ".tmp"
        try Data(JSONWriter.encode(.object(o))).write(to: URL(fileURLWithPath: tmp))
        let fd = open(tmp, O_RDONLY)
        if fd >= 0 {
            fsync(fd)
            close(fd)
        }
        if rename(tmp, path) != 0 { throw AlmanacError(.internalError, "cannot write \(path)") }
    }
}
