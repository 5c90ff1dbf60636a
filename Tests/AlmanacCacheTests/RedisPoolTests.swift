import AlmanacTestSupport
import Synchronization
import Testing
@testable import AlmanacCache

@Suite struct RedisPoolTests {
    @Test func getSetBinaryAndCommand() async throws {
        try await TestRedisServer.withRedisURL { url in
            let pool = try makePool(url)
            let key = uniqueKey("pool") + "\u{0}nul"
            let value: [UInt8] = [0x00, 0x61, 0x00, 0xff, 0x0a]
            #expect(try await pool.get(key) == nil)
            try await pool.set(key, value: value, ttlSeconds: 60)
            #expect(try await pool.get(key) == value)
            #expect(try await pool.get(Array(key.utf8)) == value)
            #expect(try await pool.command("DEL", key) == .integer(1))
            #expect(await pool.ping())
            #expect(pool.status == .up)
        }
    }

    @Test func ttlExpiry() async throws {
        try await TestRedisServer.withRedisURL { url in
            let pool = try makePool(url)
            let key = uniqueKey("ttl")
            try await pool.set(key, value: [1, 2, 3], ttlSeconds: 100)
            guard case .integer(let pttl) = try await pool.command("PTTL", key) else {
                Issue.record("PTTL did not answer an integer")
                return
            }
            #expect((1...100_000).contains(pttl))
            // Shorten the TTL instead of sleeping through it.
            #expect(try await pool.command("PEXPIRE", key, "30") == .integer(1))
            try await Task.sleep(for: .milliseconds(80))
            #expect(try await pool.get(key) == nil)
            #expect(try await pool.command("PTTL", key) == .integer(-2))

            await #expect(throws: RedisError.self) { try await pool.set(key, value: [1], ttlSeconds: 0) }
            try await pool.set(key, value: [1])
            #expect(try await pool.command("PTTL", key) == .integer(-1))
            _ = try await pool.command("DEL", key)
        }
    }

    @Test func hundredConcurrentGetsOnFourConnections() async throws {
        try await TestRedisServer.withRedisURL { url in
            let pool = try makePool(url, maxConnections: 4)
            let prefix = uniqueKey("concurrent")
            for i in 0..<10 { try await pool.set("\(prefix):\(i)", value: Array("value \(i)".utf8), ttlSeconds: 60) }

            let inFlight = Box((now: 0, max: 0, connections: Set<ObjectIdentifier>()))
            try await withThrowingTaskGroup(of: Void.self) { group in
                for n in 0..<100 {
                    group.addTask {
                        let i = n % 10
                        let bytes = try await pool.withConnection { connection in
                            inFlight.withLock {
                                $0.now += 1
                                $0.max = max($0.max, $0.now)
                                $0.connections.insert(ObjectIdentifier(connection))
                            }
                            defer { inFlight.withLock { $0.now -= 1 } }
                            return try connection.send(["GET", "\(prefix):\(i)"].map { Array($0.utf8) })
                        }
                        #expect(bytes == .bulk(Array("value \(i)".utf8)))
                        #expect(try await pool.get("\(prefix):\(i)") == Array("value \(i)".utf8))
                    }
                }
                try await group.waitForAll()
            }
            let stats = inFlight.withLock { $0 }
            #expect(stats.max <= 4)
            #expect(stats.connections.count <= 4)
            #expect(pool.status == .up)
            for i in 0..<10 { _ = try await pool.command("DEL", "\(prefix):\(i)") }
        }
    }

    @Test func reconnectsAfterClientKill() async throws {
        try await TestRedisServer.withServer { server in
            let pool = try makePool(server.url)
            // Open all four connections.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<16 { group.addTask {
                    let reply = try await pool.command("PING")
                    #expect(reply == .status("PONG"))
                } }
                try await group.waitForAll()
            }
            let killed = try TestRedisServer.command(port: server.port, ["CLIENT", "KILL", "TYPE", "normal"])
            #expect(killed.hasPrefix(":") && killed != ":0")
            try await Task.sleep(for: .milliseconds(20))

            for _ in 0..<8 { #expect(try await pool.command("PING") == .status("PONG")) }
            #expect(pool.status == .up)
            #expect(pool.breakerTrips == 0)
        }
    }

    @Test func closedPortIsDownAndFailsFast() async throws {
        let port = try TestRedisServer.freePort()
        let pool = try makePool("redis://127.0.0.1:\(port)", retryInterval: .seconds(30))
        #expect(pool.status == .up)
        #expect(await pool.ping() == false)
        #expect(pool.status == .down)
        #expect(pool.breakerTrips == 1)

        for _ in 0..<100 {
            let error = await #expect(throws: RedisError.self) { try await pool.get("k") }
            #expect(error?.code == .down)
        }
        #expect(pool.breakerTrips == 1)
    }

    @Test func unresponsiveServerTimesOutOnceThenFailsFast() async throws {
        // Accepts connections (kernel backlog) but never answers: each attempt would cost
        // the full command timeout.
        try await withSilentListener { port in
            let pool = try makePool(
                "redis://127.0.0.1:\(port)",
                commandTimeout: .milliseconds(100),
                retryInterval: .seconds(30)
            )
            let first = ContinuousClock.now
            let error = await #expect(throws: RedisError.self) { try await pool.get("k") }
            #expect(error?.code == .io)
            #expect(ContinuousClock.now - first >= .milliseconds(90))
            #expect(pool.status == .down)

            let start = ContinuousClock.now
            for _ in 0..<20 {
                #expect(await pool.ping() == false)
            }
            // 20 attempts would take 2 s; failing fast takes microseconds (slack for load).
            #expect(ContinuousClock.now - start < .milliseconds(1500))
        }
    }

    @Test func breakerProbesAfterTheRetryInterval() async throws {
        try await TestRedisServer.withServer { server in
            let pool = try makePool(server.url, retryInterval: .milliseconds(300))
            #expect(await pool.ping())
            await server.stop()
            #expect(await pool.ping() == false)
            #expect(pool.status == .down)
            // Within the retry interval it fails without trying.
            let start = ContinuousClock.now
            #expect(await pool.ping() == false)
            #expect(ContinuousClock.now - start < .seconds(2))

            var restarted = try await server.restart()
            #expect(await eventually { await pool.ping() })
            #expect(pool.status == .up)
            #expect(pool.breakerTrips == 1)

            // A second outage is a second trip; a failed probe is not another one.
            await restarted.stop()
            #expect(await pool.ping() == false)
            try await Task.sleep(for: .milliseconds(350))
            #expect(await pool.ping() == false)
            #expect(pool.status == .down)
            #expect(pool.breakerTrips == 2)
            restarted = try await restarted.restart()
            #expect(await eventually { await pool.ping() })
            await restarted.stop()
        }
    }

    @Test func closedPool() async throws {
        try await TestRedisServer.withRedisURL { url in
            let pool = try makePool(url)
            #expect(await pool.ping())
            pool.close()
            let error = await #expect(throws: RedisError.self) { try await pool.get("k") }
            #expect(error?.code == .poolClosed)
        }
    }
}
