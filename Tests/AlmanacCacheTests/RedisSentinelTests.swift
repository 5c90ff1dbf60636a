import AlmanacTestSupport
import Foundation
import Testing
@testable import AlmanacCache

/// A pool with a `redis+sentinel://` URL finds the master through the sentinels and follows
/// a failover without a restart: real redis-server master and replica, three real sentinels,
/// the master killed with SIGKILL.
@Suite(.serialized) struct RedisSentinelTests {
    @Test func followsAFailoverToTheReplicaWithoutARestart() async throws {
        let master = try await TestRedisServer.start()
        let replica = try await TestRedisServer.start(arguments: ["--replicaof", "127.0.0.1", "\(master.port)"])
        var sentinels: [TestRedisServer] = []
        var masterAlive = true
        defer {
            for s in sentinels { s.kill9() }
            replica.kill9()
            if masterAlive { master.kill9() }
        }
        // The replica must be in sync before the sentinels learn the topology from the master.
        try await Self.eventually("the replica's link to the master is up") { (try? Self.replicaInSync(replica.port)) == true }
        for _ in 0..<3 { sentinels.append(try await TestRedisServer.startSentinel(monitoring: master.port)) }
        try await Self.eventually("the sentinels know each other and the replica") {
            sentinels.allSatisfy { s in
                (try? TestRedisServer.command(port: s.port, ["SENTINEL", "CKQUORUM", "mymaster"]))?.hasPrefix("+OK 3 usable") == true
                    && (try? TestRedisServer.command(port: s.port, ["SENTINEL", "REPLICAS", "mymaster"])) == "*1"
            }
        }

        let list = sentinels.map { "127.0.0.1:\($0.port)" }.joined(separator: ",")
        let pool = RedisPool(configuration: .init(url: try RedisURL("redis+sentinel://\(list)/mymaster"), retryInterval: .milliseconds(200)))
        defer { pool.close() }
        try await pool.set("sentinel-key", value: Array("before".utf8))
        #expect(try await Self.port(of: pool) == master.port)

        master.kill9()
        masterAlive = false
        let killed = ContinuousClock.now
        var answered: Duration?
        while ContinuousClock.now - killed < .seconds(30) {
            if (try? await pool.set("sentinel-key", value: Array("after".utf8))) != nil {
                answered = ContinuousClock.now - killed
                break
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        let elapsed = try #require(answered, "no write was accepted within 30 s of killing the master")
        #expect(elapsed < .seconds(15), "the failover took \(elapsed)")
        #expect(try await Self.port(of: pool) == replica.port)
        #expect(try await pool.get("sentinel-key") == Array("after".utf8))
        print("sentinel failover: writes accepted again \(elapsed) after SIGKILL of the master")
    }

    @Test func noSentinelAnsweringIsAConnectFailureNamingThem() async throws {
        let port = try TestRedisServer.freePort()
        let pool = RedisPool(configuration: .init(url: try RedisURL("redis+sentinel://127.0.0.1:\(port)/mymaster")))
        defer { pool.close() }
        do {
            _ = try await pool.command("PING")
            Issue.record("PING answered with no sentinel")
        } catch let error as RedisError {
            #expect(error.code == .connectFailed, "\(error)")
            #expect(error.message.contains("no sentinel named the master"), "\(error)")
            #expect(error.message.contains("127.0.0.1:\(port)"), "\(error)")
        }
        #expect(pool.status == .down)
    }

    /// The port the pool's master listens on (`CONFIG GET port`).
    static func port(of pool: RedisPool) async throws -> Int? {
        guard case .array(let parts) = try await pool.command("CONFIG", "GET", "port"), parts.count == 2,
            case .bulk(let bytes) = parts[1]
        else { return nil }
        return Int(String(decoding: bytes, as: UTF8.self))
    }

    /// `master_link_status:up` in the replica's `INFO replication`, read with the code under test.
    static func replicaInSync(_ port: Int) throws -> Bool {
        let connection = try RedisConnection(url: RedisURL("redis://127.0.0.1:\(port)"))
        guard case .bulk(let info) = try connection.send("INFO", "replication") else { return false }
        return String(decoding: info, as: UTF8.self).contains("master_link_status:up")
    }

    static func eventually(_ what: String, within limit: Duration = .seconds(30), _ check: () async throws -> Bool) async throws {
        let start = ContinuousClock.now
        while ContinuousClock.now - start < limit {
            if try await check() { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("timed out waiting until \(what)")
        throw CancellationError()
    }
}
