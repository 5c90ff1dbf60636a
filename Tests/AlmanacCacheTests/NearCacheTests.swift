import AlmanacTestSupport
import Testing
@testable import AlmanacCache

@Suite struct NearCacheTests {
    private func key(_ tenant: String, generation: Int, _ digest: String = "ab") -> String {
        CacheKey(tenant: tenant, collection: .products, generation: generation, digestHex: digest).rawValue
    }

    @Test func storesAndAnswersTheBytesUnchanged() {
        let near = NearCache(capacityBytes: 1 << 20)
        let payload: [UInt8] = Array(#"{"hits":[]"#.utf8) + [0, 0xff]
        near.put(key("t", generation: 1), bytes: payload, ttl: 60)
        #expect(near.get(key("t", generation: 1)) == payload)
        #expect(near.get(key("t", generation: 2)) == nil, "a new generation is another key")
        #expect(near.get(key("u", generation: 1)) == nil, "another tenant is another key")
        let figures = near.figures
        #expect(figures.hits == 1 && figures.misses == 2 && figures.entries == 1)
    }

    @Test func staysWithinItsByteBudgetEvictingTheLeastRecentlyUsed() {
        // One stripe's budget is an eighth; keys land in stripes by hash, so count per stripe.
        let budget = 8 * 4096
        let near = NearCache(capacityBytes: budget)
        let body = [UInt8](repeating: 0x41, count: 900)
        for i in 0..<400 { near.put(key("t", generation: 1, String(i)), bytes: body, ttl: 60) }
        let figures = near.figures
        #expect(figures.bytes <= budget)
        #expect(figures.evictions > 0)
        #expect(figures.entries == 400 - figures.evictions)
        // The last one written is still there; the first ones are gone.
        #expect(near.get(key("t", generation: 1, "399")) == body)
        #expect(near.get(key("t", generation: 1, "0")) == nil)
    }

    @Test func aRecentlyReadEntryOutlivesOlderOnes() {
        // A budget that holds three entries per stripe: read the first, add more in the
        // same stripe, and the read one survives while its unread neighbour goes.
        var lru = NearCache.LRU(budget: 3 * (100 + 2 + NearCache.entryOverhead))
        let now = ContinuousClock.now
        let body = [UInt8](repeating: 1, count: 100)
        for name in ["k1", "k2", "k3"] { lru.put(name, bytes: body, expires: now + .seconds(60)) }
        #expect(lru.get("k1", now: now) != nil)
        lru.put("k4", bytes: body, expires: now + .seconds(60))
        #expect(lru.get("k2", now: now) == nil, "the least recently used goes first")
        #expect(lru.get("k1", now: now) != nil)
        #expect(lru.get("k3", now: now) != nil)
        #expect(lru.get("k4", now: now) != nil)
        #expect(lru.evictions == 1)
    }

    @Test func expiresWithItsTTL() {
        let near = NearCache(capacityBytes: 1 << 20)
        let start = ContinuousClock.now
        near.put(key("t", generation: 1), bytes: [1], ttl: 5, now: start)
        #expect(near.get(key("t", generation: 1), now: start + .seconds(4)) == [1])
        #expect(near.get(key("t", generation: 1), now: start + .seconds(6)) == nil)
        #expect(near.figures.entries == 0, "an expired entry is dropped when found")
        near.put(key("t", generation: 1), bytes: [1], ttl: 0)
        #expect(near.figures.entries == 0, "ttl 0 keeps nothing, as Redis")
    }

    @Test func anAnswerLargerThanAStripeIsNotKept() {
        let near = NearCache(capacityBytes: 8 * 1024)
        near.put(key("t", generation: 1), bytes: [UInt8](repeating: 0, count: 2048), ttl: 60)
        #expect(near.figures.entries == 0)
        #expect(near.figures.bytes == 0)
    }

    @Test func replacingAKeyKeepsOneEntry() {
        let near = NearCache(capacityBytes: 1 << 20)
        near.put(key("t", generation: 1), bytes: [1, 2, 3], ttl: 60)
        near.put(key("t", generation: 1), bytes: [4], ttl: 60)
        #expect(near.get(key("t", generation: 1)) == [4])
        #expect(near.figures.entries == 1)
    }

    /// The query cache's first level: a hit there never reaches Redis, and what Redis
    /// answers is kept near.
    @Test func queryCacheAnswersRepeatsFromTheNearLevel() async throws {
        try await TestRedisServer.withRedisURL { url in
            let cache = QueryCache(pool: try makePool(url), nearBytes: 1 << 20)
            let key = CacheKey(tenant: "t1", collection: .products, generation: 1, digestHex: uniqueKey("near")).rawValue
            let first = try await cache.fetch(key: key, ttl: 60) { Array("body".utf8) }
            #expect(first.status == .miss)
            let lookups = cache.redisHitCount + cache.redisMissCount
            for _ in 0..<5 {
                let again = try await cache.fetch(key: key, ttl: 60) { Array("recomputed".utf8) }
                #expect(again.status == .hit)
                #expect(again.bytes == Array("body".utf8))
            }
            #expect(cache.redisHitCount + cache.redisMissCount == lookups, "near hits never reach Redis")
            #expect(cache.near?.figures.hits == 5)

            // Another process stored a key in Redis: the first read hits Redis, then stays near.
            let shared = CacheKey(tenant: "t1", collection: .products, generation: 1, digestHex: uniqueKey("shared")).rawValue
            _ = try await cache.pool?.command("SET", shared, "from-redis")
            #expect(try await cache.fetch(key: shared, ttl: 60) { [] } == (Array("from-redis".utf8), .hit))
            #expect(cache.redisHitCount == 1)
            _ = try await cache.fetch(key: shared, ttl: 60) { [] }
            #expect(cache.redisHitCount == 1)
            _ = try await cache.pool?.command("DEL", key)
            _ = try await cache.pool?.command("DEL", shared)
        }
    }

    @Test func noCacheMeansNoNearCacheEither() async throws {
        let cache = QueryCache(pool: nil, nearBytes: 1 << 20)
        #expect(cache.near == nil)
        #expect(try await cache.fetch(key: "k", ttl: 60) { [1] }.status == .off)
        #expect(try await cache.fetch(key: "k", ttl: 60) { [1] }.status == .off)
    }
}
