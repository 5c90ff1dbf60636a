public import AlmanacCache
public import AlmanacCore
public import AlmanacStore
public import Logging
public import ServiceLifecycle
import Synchronization

/// Search analytics on the timeline (API.md, "Search analytics"): every product search is
/// tallied here by `Catalogue.search`, and once a second the tallies of the seconds that
/// are over are written to the searching tenants' own timelines as `search.performed`
/// events — one per tenant, second and distinct (normalised q, zero_results, corrected),
/// all in one store transaction through the store's event append, so the timeline indexes
/// them like any other event.
///
/// The request path only takes a lock and bumps a counter: it never waits for the store.
/// The buffer holds at most `capacity` distinct entries; a search that would need a new
/// entry beyond that is dropped and counted (`droppedSearches`, and in `/metrics`).
public final class SearchAnalytics: Service, Sendable {
    public struct Configuration: Sendable {
        /// Distinct (tenant, second, query) entries held between flushes.
        public var capacity = 10_000
        /// Time between flushes (each flush is at most one write transaction).
        public var interval: Duration = .seconds(1)
        /// The clock searches are stamped with; nil is the system clock. Tests fix it.
        public var clock: (@Sendable () -> Timestamp)? = nil
        public init() {}
    }

    public static let eventType = "search.performed"
    public static let eventSource = "almanac.search"

    struct Key: Hashable {
        var tenant: String
        var second: Int64
        var q: String
        var zeroResults: Bool
        var corrected: String?
    }

    struct Tally {
        var searches = 0
        var cacheHits = 0
        var tookMsMax = 0.0

        mutating func merge(_ other: Tally) {
            searches += other.searches
            cacheHits += other.cacheHits
            tookMsMax = max(tookMsMax, other.tookMsMax)
        }
    }

    struct State {
        var pending: [Key: Tally] = [:]
        var dropped = 0
        var written = 0
        var observers: [@Sendable (Int) -> Void] = []
    }

    private let state = Mutex(State())
    private let store: Store
    private let configuration: Configuration
    private let committed: @Sendable () -> Void
    private let closing = WakeSignal()
    private let flushGate = AsyncGate()
    private let logger: Logger

    /// `committed` runs after each written flush (it wakes the timeline's indexer).
    public init(store: Store, configuration: Configuration, logger: Logger, committed: @escaping @Sendable () -> Void) {
        self.store = store
        self.configuration = configuration
        self.committed = committed
        self.logger = logger
    }

    public var now: Timestamp { configuration.clock?() ?? .now() }

    /// `q` as recorded: trimmed, lower-cased, runs of white space as one space.
    public static func normalise(_ q: String) -> String {
        q.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ").lowercased()
    }

    /// An event attribute holds at most 1000 characters (Unicode scalars); longer queries
    /// (only possible with a raised `q` limit) are cut there.
    static func clipped(_ s: String) -> String {
        let limit = EventValidator.Limits().attributeValueMax
        guard s.unicodeScalars.count > limit else { return s }
        return String(String.UnicodeScalarView(s.unicodeScalars.prefix(limit)))
    }

    // MARK: The request path

    /// Tallies one search. Never blocks on I/O; searches without a `q` (filter-only
    /// browsing) are not recorded.
    public func record(tenant: String, q: String?, facts: SearchFacts, cache: CacheStatus, tookMs: Double) {
        guard let q else { return }
        let normalised = Self.clipped(Self.normalise(q))
        guard !normalised.isEmpty else { return }
        let key = Key(
            tenant: tenant, second: now.seconds, q: normalised, zeroResults: facts.zeroResults,
            corrected: facts.corrected.map { Self.clipped(Self.normalise($0)) })
        let observers = state.withLock { s -> [@Sendable (Int) -> Void]? in
            if s.pending[key] == nil, s.pending.count >= configuration.capacity {
                s.dropped += 1
                return s.observers
            }
            s.pending[key, default: Tally()].merge(Tally(searches: 1, cacheHits: cache == .hit ? 1 : 0, tookMsMax: tookMs))
            return nil
        }
        observers?.forEach { $0(1) }
    }

    /// Searches not recorded because the buffer was full (or a flush failed for good).
    public var droppedSearches: Int { state.withLock { $0.dropped } }

    /// `search.performed` events written so far.
    public var writtenEvents: Int { state.withLock { $0.written } }

    /// Entries waiting for the next flush.
    public var pendingEntries: Int { state.withLock { $0.pending.count } }

    /// Calls `observer` with the number of searches each time some are dropped (`/metrics`).
    public func onDrop(_ observer: @escaping @Sendable (Int) -> Void) {
        state.withLock { $0.observers.append(observer) }
    }

    // MARK: Writing

    /// Writes the tallies of the seconds before `second` (nil: all of them) in one
    /// transaction; answers the number of events written. A failed write puts its
    /// tallies back for the next flush (as far as the buffer has room).
    @discardableResult
    public func flush(before second: Int64?) async throws -> Int {
        try await flushGate.run {
            let taken = state.withLock { s -> [(Key, Tally)] in
                var taken: [(Key, Tally)] = []
                for (key, tally) in s.pending where second.map({ key.second < $0 }) ?? true { taken.append((key, tally)) }
                for (key, _) in taken { s.pending[key] = nil }
                return taken
            }
            guard !taken.isEmpty else { return 0 }
            do {
                let batches = Self.batches(taken)
                _ = try await store.appendEvents(batches: batches)
                state.withLock { $0.written += taken.count }
                committed()
                return taken.count
            } catch {
                restore(taken)
                throw error
            }
        }
    }

    private func restore(_ taken: [(Key, Tally)]) {
        let (lost, observers) = state.withLock { s -> (Int, [@Sendable (Int) -> Void]) in
            var lost = 0
            for (key, tally) in taken {
                if s.pending[key] != nil || s.pending.count < configuration.capacity {
                    s.pending[key, default: Tally()].merge(tally)
                } else {
                    lost += tally.searches
                }
            }
            s.dropped += lost
            return (lost, s.observers)
        }
        if lost > 0 { observers.forEach { $0(lost) } }
    }

    /// One batch per tenant, events in (second, q) order.
    static func batches(_ taken: [(Key, Tally)]) -> [(context: WriteContext, drafts: [EventValidator.Draft])] {
        let validator = EventValidator()
        var byTenant: [String: [(Key, Tally)]] = [:]
        for entry in taken { byTenant[entry.0.tenant, default: []].append(entry) }
        return byTenant.keys.sorted().map { tenant in
            let entries = byTenant[tenant]!.sorted { a, b in
                if a.0.second != b.0.second { return a.0.second < b.0.second }
                if a.0.q != b.0.q { return a.0.q.utf8.lexicographicallyPrecedes(b.0.q.utf8) }
                if a.0.zeroResults != b.0.zeroResults { return !a.0.zeroResults }
                return (a.0.corrected ?? "").utf8.lexicographicallyPrecedes((b.0.corrected ?? "").utf8)
            }
            // Valid by construction (q and corrected are clipped to the attribute limit).
            let drafts = entries.compactMap { key, tally in try? validator.validate(event(key, tally)) }
            return (WriteContext(tenant: tenant, actor: eventSource), drafts)
        }
    }

    /// The event of one tally.
    static func event(_ key: Key, _ tally: Tally) -> JSONValue {
        var attributes = JSONObject()
        attributes["q"] = .string(key.q)
        attributes["searches"] = .int(Int64(tally.searches))
        attributes["zero_results"] = .bool(key.zeroResults)
        if let corrected = key.corrected { attributes["corrected"] = .string(corrected) }
        attributes["took_ms_max"] = .double((tally.tookMsMax * 1000).rounded() / 1000)
        attributes["hits_cache"] = .int(Int64(tally.cacheHits))
        return [
            "type": .string(eventType), "source": .string(eventSource),
            "occurred_at": .string(Timestamp(seconds: key.second).rfc3339),
            "attributes": .object(attributes),
        ]
    }

    // MARK: Service

    /// Flushes every `interval` the seconds that are over; on graceful shutdown (after the
    /// HTTP server drained) flushes everything left.
    public func run() async throws {
        await withGracefulShutdownHandler {
            while !closing.isClosed {
                await closing.wait(timeout: configuration.interval)
                if closing.isClosed { break }
                await flushLogging(before: now.seconds)
            }
        } onGracefulShutdown: {
            self.closing.close()
        }
        await flushLogging(before: nil)
    }

    private func flushLogging(before second: Int64?) async {
        do {
            try await flush(before: second)
        } catch {
            logger.warning("search analytics: writing the roll-ups failed; retrying next second", metadata: ["error": "\(error)"])
        }
    }
}
