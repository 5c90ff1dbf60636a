import Synchronization

/// The first level of the query cache: rendered answers inside this process, bounded in
/// bytes, least recently used evicted first.
///
/// Entries are keyed by the Redis key itself (``CacheKey/rawValue``: tenant, collection,
/// generation, request digest), so the write that moves a tenant's generation makes its
/// older entries unreachable here exactly when it does in Redis: there is no TTL race to
/// lose and nothing to delete. An entry also expires with the TTL it was stored under,
/// as its Redis copy does. A lookup is a hash probe under one of ``stripeCount`` locks;
/// it never suspends, so a hit is answered on the thread that asked.
public final class NearCache: Sendable {
    /// What `/metrics` exports.
    public struct Figures: Sendable, Equatable {
        public var hits = 0
        public var misses = 0
        public var evictions = 0
        public var entries = 0
        public var bytes = 0
        public init(hits: Int = 0, misses: Int = 0) {
            self.hits = hits
            self.misses = misses
        }
    }

    /// Bytes counted for an entry beyond its key and body (node, dictionary slot).
    static let entryOverhead = 96
    static let stripeCount = 8

    /// The byte budget over all stripes.
    public let capacityBytes: Int
    private let stripes: [Stripe]
    private let hits = Atomic<Int>(0)
    private let misses = Atomic<Int>(0)

    /// - Parameter capacityBytes: the budget; an answer larger than an eighth of it is not
    ///   kept (it would evict a stripe's worth of others).
    public init(capacityBytes: Int) {
        self.capacityBytes = max(0, capacityBytes)
        let perStripe = self.capacityBytes / Self.stripeCount
        stripes = (0..<Self.stripeCount).map { _ in Stripe(budget: perStripe) }
    }

    /// The bytes stored under `key` and not yet expired.
    public func get(_ key: String, now: ContinuousClock.Instant = .now) -> [UInt8]? {
        let found = stripe(for: key).state.withLock { $0.get(key, now: now) }
        if found == nil { misses.wrappingAdd(1, ordering: .relaxed) } else { hits.wrappingAdd(1, ordering: .relaxed) }
        return found
    }

    /// Keeps `bytes` under `key` for `ttl` seconds (nothing when `ttl` is not positive).
    public func put(_ key: String, bytes: [UInt8], ttl: Int, now: ContinuousClock.Instant = .now) {
        guard ttl > 0 else { return }
        stripe(for: key).state.withLock { $0.put(key, bytes: bytes, expires: now + .seconds(ttl)) }
    }

    public var figures: Figures {
        var figures = Figures(hits: hits.load(ordering: .relaxed), misses: misses.load(ordering: .relaxed))
        for stripe in stripes {
            stripe.state.withLock { state in
                figures.evictions += state.evictions
                figures.entries += state.index.count
                figures.bytes += state.bytes
            }
        }
        return figures
    }

    private func stripe(for key: String) -> Stripe {
        stripes[Int(UInt(bitPattern: key.hashValue) % UInt(Self.stripeCount))]
    }

    final class Stripe: Sendable {
        let state: Mutex<LRU>
        init(budget: Int) { state = Mutex(LRU(budget: budget)) }
    }

    /// A byte-bounded LRU: a dictionary into an array of nodes linked most recent first.
    struct LRU {
        struct Node {
            var key: String
            var bytes: [UInt8]
            var expires: ContinuousClock.Instant
            var cost: Int
            var newer = -1
            var older = -1
        }

        let budget: Int
        var index: [String: Int] = [:]
        var nodes: [Node] = []
        var free: [Int] = []
        var newest = -1
        var oldest = -1
        var bytes = 0
        var evictions = 0

        init(budget: Int) { self.budget = budget }

        mutating func get(_ key: String, now: ContinuousClock.Instant) -> [UInt8]? {
            guard let slot = index[key] else { return nil }
            guard nodes[slot].expires > now else {
                remove(slot)
                return nil
            }
            unlink(slot)
            pushNewest(slot)
            return nodes[slot].bytes
        }

        mutating func put(_ key: String, bytes value: [UInt8], expires: ContinuousClock.Instant) {
            let cost = value.count + key.utf8.count + NearCache.entryOverhead
            if let slot = index[key] { remove(slot) }
            guard cost <= budget else { return }
            while bytes + cost > budget, oldest >= 0 {
                remove(oldest)
                evictions += 1
            }
            let node = Node(key: key, bytes: value, expires: expires, cost: cost)
            let slot: Int
            if let reused = free.popLast() {
                nodes[reused] = node
                slot = reused
            } else {
                nodes.append(node)
                slot = nodes.count - 1
            }
            index[key] = slot
            bytes += cost
            pushNewest(slot)
        }

        private mutating func remove(_ slot: Int) {
            unlink(slot)
            index[nodes[slot].key] = nil
            bytes -= nodes[slot].cost
            nodes[slot].bytes = []
            nodes[slot].key = ""
            free.append(slot)
        }

        private mutating func unlink(_ slot: Int) {
            let (newer, older) = (nodes[slot].newer, nodes[slot].older)
            if newer >= 0 { nodes[newer].older = older } else { newest = older }
            if older >= 0 { nodes[older].newer = newer } else { oldest = newer }
            nodes[slot].newer = -1
            nodes[slot].older = -1
        }

        private mutating func pushNewest(_ slot: Int) {
            nodes[slot].older = newest
            nodes[slot].newer = -1
            if newest >= 0 { nodes[newest].newer = slot }
            newest = slot
            if oldest < 0 { oldest = slot }
        }
    }
}
