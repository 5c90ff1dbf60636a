import AlmanacTestSupport
import Logging
import Testing
@testable import AlmanacCache

@Suite struct QueryCacheTests {
    @Test func missThenHitReturnsIdenticalBytes() async throws {
        try await TestRedisServer.withRedisURL { url in
            let cache = QueryCache(pool: try makePool(url))
            let key = CacheKey(tenant: "t1", collection: .products, generation: 3, digestHex: uniqueKey("d")).rawValue
            let payload: [UInt8] = Array(#"{"hits":[],"took_ms":0.1}"#.utf8) + [0, 0xff, 0xc3, 0xa9]
            let computed = Counter()

            let first = try await cache.fetch(key: key, ttl: 60) { computed.increment(); return payload }
            #expect(first.status == .miss)
            #expect(first.bytes == payload)
            let second = try await cache.fetch(key: key, ttl: 60) { computed.increment(); return [1] }
            #expect(second.status == .hit)
            #expect(second.bytes == payload)
            #expect(computed.count == 1)
            #expect(await cache.lookup(key: key) == payload)
            #expect(await cache.lookup(key: uniqueKey("absent")) == nil)
            _ = try await cache.pool?.command("DEL", key)
        }
    }

    @Test func singleFlight() async throws {
        try await TestRedisServer.withRedisURL { url in
            let cache = QueryCache(pool: try makePool(url))
            let key = uniqueKey("stampede")
            let computed = Counter()
            let results = try await withThrowingTaskGroup(of: (bytes: [UInt8], status: CacheStatus).self) { group in
                for _ in 0..<10 {
                    group.addTask {
                        try await cache.fetch(key: key, ttl: 60) {
                            computed.increment()
                            try await Task.sleep(for: .milliseconds(200))
                            return Array("result".utf8)
                        }
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(computed.count == 1)
            #expect(results.count == 10)
            // Waiters share the computing call's `.miss`; a task scheduled after the whole
            // flight (possible under load) gets a `.hit` instead. Nobody computes again.
            #expect(results.allSatisfy { $0.bytes == Array("result".utf8) && $0.status != .off })
            #expect(try await cache.fetch(key: key, ttl: 60) { [] }.status == .hit)
            _ = try await cache.pool?.command("DEL", key)
        }
    }

    @Test func computeErrorsAreSharedAndNotCached() async throws {
        struct Boom: Error {}
        try await TestRedisServer.withRedisURL { url in
            let cache = QueryCache(pool: try makePool(url))
            let key = uniqueKey("error")
            let computed = Counter()
            let failures = try await withThrowingTaskGroup(of: Bool.self) { group in
                for _ in 0..<5 {
                    group.addTask {
                        do {
                            _ = try await cache.fetch(key: key, ttl: 60) {
                                computed.increment()
                                try await Task.sleep(for: .milliseconds(100))
                                throw Boom()
                            }
                            return false
                        } catch is Boom {
                            return true
                        }
                    }
                }
                return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            #expect(failures == 5)
            #expect(computed.count == 1)
            let after = try await cache.fetch(key: key, ttl: 60) { [7] }
            #expect(after.status == .miss && after.bytes == [7])
            _ = try await cache.pool?.command("DEL", key)
        }
    }

    @Test func aCancelledLeaderHandsOverToAWaiter() async throws {
        try await TestRedisServer.withRedisURL { url in
            let cache = QueryCache(pool: try makePool(url))
            let key = uniqueKey("cancel")
            let computed = Counter()
            let leader = Task {
                try await cache.fetch(key: key, ttl: 60) {
                    computed.increment()
                    try await Task.sleep(for: .seconds(10))
                    return [1]
                }
            }
            #expect(await eventually { computed.count == 1 })
            let follower = Task {
                try await cache.fetch(key: key, ttl: 60) {
                    computed.increment()
                    return [2]
                }
            }
            try await Task.sleep(for: .milliseconds(50))
            leader.cancel()
            await #expect(throws: CancellationError.self) { try await leader.value }
            let result = try await follower.value
            #expect(result.bytes == [2] && result.status == .miss)
            #expect(computed.count == 2)
            _ = try await cache.pool?.command("DEL", key)
        }
    }

    @Test func disabledCacheComputes() async throws {
        let result = try await QueryCache.disabled.fetch(key: "k", ttl: 60) { [42] }
        #expect(result.bytes == [42] && result.status == .off)
        #expect(await QueryCache.disabled.lookup(key: "k") == nil)
        #expect(QueryCache.disabled.status == nil)
    }

    @Test func redisDownMeansOff() async throws {
        let port = try TestRedisServer.freePort()
        let (logger, logs) = CapturingLogHandler.logger()
        let cache = QueryCache(pool: try makePool("redis://127.0.0.1:\(port)", retryInterval: .seconds(30)), logger: logger)
        let computed = Counter()
        for _ in 0..<3 {
            let result = try await cache.fetch(key: "k", ttl: 60) { computed.increment(); return [9] }
            #expect(result.bytes == [9] && result.status == .off)
        }
        #expect(computed.count == 3)
        #expect(cache.status == .down)
        #expect(await cache.lookup(key: "k") == nil)
        await cache.store(key: "k", bytes: [1], ttl: 60)
        // One breaker trip, one warning.
        #expect(logs.withLock { $0.map(\.level) } == [.warning])
    }

    @Test func serverStoppedThenRestarted() async throws {
        try await TestRedisServer.withServer { server in
            let (logger, logs) = CapturingLogHandler.logger()
            let cache = QueryCache(pool: try makePool(server.url, retryInterval: .milliseconds(200)), logger: logger)
            let key = uniqueKey("restart")
            #expect(try await cache.fetch(key: key, ttl: 60) { [1] }.status == .miss)
            #expect(try await cache.fetch(key: key, ttl: 60) { [2] } == ([1], .hit))

            await server.stop()
            #expect(try await cache.fetch(key: key, ttl: 60) { [3] } == ([3], .off))
            #expect(try await cache.fetch(key: key, ttl: 60) { [4] } == ([4], .off))
            #expect(cache.status == .down)

            let restarted = try await server.restart()
            try await Task.sleep(for: .milliseconds(250))
            // The data went with the old server: a miss (the probe), then a hit.
            #expect(try await cache.fetch(key: key, ttl: 60) { [5] } == ([5], .miss))
            #expect(try await cache.fetch(key: key, ttl: 60) { [6] } == ([5], .hit))
            #expect(cache.status == .up)
            #expect(logs.withLock { $0.map(\.level) } == [.warning, .info])
            await restarted.stop()
        }
    }
}
