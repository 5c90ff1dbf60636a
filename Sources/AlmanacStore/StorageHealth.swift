public import AlmanacCore
public import Foundation
import GRDB
import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The parts of the data directory that take writes and can run out of room.
public enum StorageComponent: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// The SQLite store (`almanac.sqlite3` and its WAL).
    case store
    /// The product index (`index/products`).
    case productIndex = "products_index"
    /// The timeline indexes (`index/events`).
    case eventIndex = "events_index"

    public var description: String {
        switch self {
        case .store: "the store"
        case .productIndex: "the product index"
        case .eventIndex: "the event index"
        }
    }
}

/// A storage fault in effect: which part, what kind, since when, and what the library said.
public struct StorageFault: Sendable, Equatable, CustomStringConvertible {
    public var component: StorageComponent
    public var kind: StorageFaultKind
    public var path: String
    /// The underlying error's text (SQLite's or Xapian's message), shortened.
    public var cause: String
    public var since: Date

    /// "the store (/data/almanac.sqlite3): no space left on the device".
    public var description: String { "\(component) (\(path)): \(kind)" }

    /// Classifies any error as a storage fault, or nil when it is something else.
    ///
    /// SQLite answers `SQLITE_FULL` for `ENOSPC` and `SQLITE_IOERR` (with extended codes
    /// such as `SQLITE_IOERR_WRITE`/`_FSYNC`) for other failed writes, `EDQUOT` among them;
    /// Xapian and our own file writes conform to ``StorageFaultDescribing``; Foundation's
    /// file APIs carry the errno.
    public static func classify(_ error: any Error) -> StorageFaultKind? {
        switch error {
        case let e as DatabaseError:
            switch e.resultCode {
            case .SQLITE_FULL: return .full
            case .SQLITE_IOERR: return .io
            default: return nil
            }
        case let e as any StorageFaultDescribing:
            return e.storageFaultKind
        case let e as POSIXError:
            return StorageFaultKind(errno: e.code.rawValue)
        case let e as CocoaError:
            if e.code == .fileWriteOutOfSpace { return .full }
            if let underlying = e.userInfo[NSUnderlyingErrorKey] as? any Error { return classify(underlying) }
            return nil
        default:
            let ns = error as NSError
            if ns.domain == NSPOSIXErrorDomain { return StorageFaultKind(errno: Int32(ns.code)) }
            return nil
        }
    }
}

/// Which storage faults are in effect, for `/ready`, `/metrics` and the answers of writes.
///
/// Writers report a failure with ``report(_:_:progress:)``; it answers whether the error
/// was a storage fault. The first report of a fault logs one line (`error`); repeats are
/// silent. A fault clears by itself: a background check (every `recheckInterval`) clears it
/// once the filesystem has `headroomBytes` free again and the part proves writable (the
/// store answers a write probe; an index's `progress` has moved past where it stood when
/// the fault was reported), or when the writer calls ``clear(_:)`` after a success. Each
/// clearing logs one line (`notice`). So a full disk gives two log lines, not one per
/// request or retry.
public final class StorageHealth: Sendable {
    struct Entry: Sendable {
        var fault: StorageFault
        var progress: (@Sendable () -> Int64)?
        var progressAtReport: Int64?
    }

    struct State {
        var entries: [StorageComponent: Entry] = [:]
        var checker: Task<Void, Never>?
        var closed = false
        var transitions = 0
    }

    let paths: [StorageComponent: String]
    let headroomBytes: Int64
    let recheckInterval: Duration
    let logger: Logger
    /// A small write that proves the store writable again.
    let storeProbe: @Sendable () async -> Bool
    private let state = Mutex(State())

    init(
        paths: [StorageComponent: String], headroomBytes: Int64, recheckInterval: Duration, logger: Logger,
        storeProbe: @escaping @Sendable () async -> Bool
    ) {
        self.paths = paths
        self.headroomBytes = headroomBytes
        self.recheckInterval = recheckInterval
        self.logger = logger
        self.storeProbe = storeProbe
    }

    /// The faults in effect, in component order.
    public var faults: [StorageFault] {
        state.withLock { s in StorageComponent.allCases.compactMap { s.entries[$0]?.fault } }
    }

    public func fault(_ component: StorageComponent) -> StorageFault? {
        state.withLock { $0.entries[component]?.fault }
    }

    /// How many times a fault was raised or cleared since the start (for tests and metrics).
    public var transitions: Int { state.withLock { $0.transitions } }

    /// Records a failed write of `component`. Answers true when `error` is a storage fault
    /// (logged once per fault, not per call); false for any other error, which the caller
    /// logs as before.
    ///
    /// `progress` (an index's applied seq) lets the fault clear once the writer succeeds
    /// again without a call to ``clear(_:)``.
    @discardableResult
    public func report(_ component: StorageComponent, _ error: any Error, progress: (@Sendable () -> Int64)? = nil) -> Bool {
        guard let kind = StorageFault.classify(error) else { return false }
        let fault = StorageFault(
            component: component, kind: kind, path: paths[component] ?? "?", cause: String("\(error)".prefix(300)), since: Date())
        let isNew: Bool = state.withLock { s in
            if s.closed { return false }
            if let existing = s.entries[component], existing.fault.kind == kind { return false }
            s.entries[component] = Entry(fault: fault, progress: progress, progressAtReport: progress?())
            s.transitions += 1
            return true
        }
        let metadata: Logger.Metadata = ["component": "\(component.rawValue)", "path": "\(fault.path)", "cause": "\(fault.cause)"]
        if isNew {
            let consequence =
                component == .store
                ? "writes answer 507 and /ready 503 until space is freed"
                : "indexing waits (writes are still stored) and /ready answers 503 until space is freed"
            logger.error("storage fault: \(component) cannot take writes (\(kind)); \(consequence)", metadata: metadata)
            startChecker()
        } else {
            logger.debug("storage fault persists", metadata: metadata)
        }
        return true
    }

    /// Clears `component`'s fault (a writer succeeded); logs once if one was in effect.
    public func clear(_ component: StorageComponent) {
        let cleared: StorageFault? = state.withLock { s in
            guard let entry = s.entries.removeValue(forKey: component) else { return nil }
            s.transitions += 1
            return entry.fault
        }
        if let cleared {
            let seconds = Int(Date().timeIntervalSince(cleared.since).rounded())
            logger.notice(
                "storage recovered: \(component) takes writes again",
                metadata: ["component": "\(component.rawValue)", "path": "\(cleared.path)", "fault_seconds": "\(seconds)"])
        }
    }

    /// Checks every fault in effect once, clearing those that recovered.
    public func recheck() async {
        let entries = state.withLock { $0.entries }
        for (component, entry) in entries {
            guard Self.freeBytes(at: entry.fault.path).map({ $0 >= headroomBytes }) ?? true else { continue }
            let recovered: Bool
            if component == .store {
                recovered = await storeProbe()
            } else if let progress = entry.progress, let before = entry.progressAtReport {
                recovered = progress() > before
            } else {
                // No way to see the writer succeed: room again is the best evidence.
                recovered = true
            }
            if recovered { clear(component) }
        }
    }

    /// Stops the background check (the store is closing).
    func close() {
        let task: Task<Void, Never>? = state.withLock { s in
            s.closed = true
            defer { s.checker = nil }
            return s.checker
        }
        task?.cancel()
    }

    private func startChecker() {
        state.withLock { s in
            guard s.checker == nil, !s.closed else { return }
            s.checker = Task { [weak self] in
                while !Task.isCancelled {
                    try? await Task.sleep(for: self?.recheckInterval ?? .seconds(1))
                    guard let self, !Task.isCancelled else { return }
                    await self.recheck()
                    let done: Bool = self.state.withLock { s in
                        if s.entries.isEmpty || s.closed {
                            s.checker = nil
                            return true
                        }
                        return false
                    }
                    if done { return }
                }
            }
        }
    }

    /// Free bytes for an unprivileged writer on the filesystem holding `path` (or its
    /// nearest existing parent); nil when it cannot be told.
    public static func freeBytes(at path: String) -> Int64? {
        var candidate = path
        while !candidate.isEmpty {
            var info = statvfs()
            if statvfs(candidate, &info) == 0 { return Int64(info.f_bavail) * Int64(info.f_frsize) }
            guard let slash = candidate.lastIndex(of: "/") else { break }
            candidate = slash == candidate.startIndex ? "/" : String(candidate[..<slash])
            if candidate == "/" {
                return statvfs("/", &info) == 0 ? Int64(info.f_bavail) * Int64(info.f_frsize) : nil
            }
        }
        return nil
    }
}
