import AlmanacTestSupport
import Testing
@testable import AlmanacCache

/// Blocking `RedisConnection` calls, run directly on the test's thread (fine in a test).
@Suite struct RedisConnectionTests {
    @Test func setAndGetBinarySafe() async throws {
        try await TestRedisServer.withRedisURL { url in
            let connection = try RedisConnection(url: try RedisURL(url))
            let key: [UInt8] = Array(uniqueKey("binary").utf8) + [0, 0xff, 0x0d, 0x0a]
            let value: [UInt8] = [0, 1, 2, 0, 0x0d, 0x0a, 0xff, 0xfe] + Array(repeating: 0, count: 1000)
            #expect(try connection.send([Array("SET".utf8), key, value]) == .status("OK"))
            #expect(try connection.send([Array("GET".utf8), key]) == .bulk(value))
            #expect(try connection.send([Array("STRLEN".utf8), key]) == .integer(Int64(value.count)))
            #expect(try connection.send([Array("SET".utf8), key, []]) == .status("OK"))
            #expect(try connection.send([Array("GET".utf8), key]) == .bulk([]))
            #expect(try connection.send([Array("DEL".utf8), key]) == .integer(1))
            #expect(try connection.send([Array("GET".utf8), key]) == .null)
        }
    }

    @Test func replyTypes() async throws {
        try await TestRedisServer.withRedisURL { url in
            let connection = try RedisConnection(url: try RedisURL(url))
            let key = uniqueKey("list")
            #expect(try connection.send("RPUSH", key, "a", "b") == .integer(2))
            #expect(try connection.send("LRANGE", key, "0", "-1") == .array([.bulk(Array("a".utf8)), .bulk(Array("b".utf8))]))
            #expect(try connection.send("EXPIRE", key, "60") == .integer(1))
            guard case .error(let message) = try connection.send("GET", key) else {
                Issue.record("expected an error reply")
                return
            }
            #expect(message.hasPrefix("WRONGTYPE"))
            // An error reply leaves the connection usable.
            #expect(connection.isConnected)
            #expect(try connection.send("PING") == .status("PONG"))
            #expect(try connection.send("DEL", key) == .integer(1))
        }
    }

    @Test func connectFailureThrows() throws {
        let port = try TestRedisServer.freePort()
        let error = #expect(throws: RedisError.self) {
            try RedisConnection(url: try RedisURL("redis://127.0.0.1:\(port)"))
        }
        #expect(error?.code == .connectFailed)
    }

    @Test func commandTimeoutKillsTheContextAndNextUseReconnects() async throws {
        try await TestRedisServer.withServer { server in
            // The command timeout must bound commands, not the (longer) connect timeout.
            // Measured with hiredis 0.14.1: without redisSetTimeout after connecting, this
            // BLPOP blocked for its full 10 s, so neither timeout applied to commands.
            let connection = try RedisConnection(
                url: try RedisURL(server.url),
                connectTimeout: .seconds(5),
                commandTimeout: .milliseconds(100)
            )
            let start = ContinuousClock.now
            let error = #expect(throws: RedisError.self) {
                try connection.send("BLPOP", uniqueKey("never"), "10")
            }
            #expect(error?.code == .io)
            #expect(ContinuousClock.now - start < .seconds(3))
            #expect(!connection.isConnected)
            #expect(try connection.send("PING") == .status("PONG"))
            #expect(connection.isConnected)
        }
    }

    @Test func reconnectsAfterTheServerKillsTheClient() async throws {
        try await TestRedisServer.withServer { server in
            let connection = try RedisConnection(url: try RedisURL(server.url))
            #expect(try connection.send("PING") == .status("PONG"))
            let killed = try TestRedisServer.command(port: server.port, ["CLIENT", "KILL", "TYPE", "normal"])
            #expect(killed == ":1")
            try await Task.sleep(for: .milliseconds(20))
            #expect(try connection.send("PING") == .status("PONG"))
        }
    }

    @Test func unixSocket() async throws {
        let socket = TestRedisServer.baseDirectory + "/unix-\(UInt32.random(in: 0...UInt32.max)).sock"
        try await TestRedisServer.withServer(arguments: ["--unixsocket", socket]) { _ in
            let connection = try RedisConnection(url: try RedisURL("unix://\(socket)?db=2"))
            #expect(try connection.send("PING") == .status("PONG"))
            #expect(try connection.send("CLIENT", "INFO").bulkText.contains("db=2"))
        }
    }

    @Test func authAndSelect() async throws {
        try await TestRedisServer.withServer { server in
            #expect(try TestRedisServer.command(port: server.port, ["CONFIG", "SET", "requirepass", "p@ss/w:rd"]) == "+OK")
            let good = try RedisConnection(url: try RedisURL("redis://:p%40ss%2Fw%3Ard@127.0.0.1:\(server.port)/3"))
            // Without a password the helper's SHUTDOWN works again.
            defer { _ = try? good.send("CONFIG", "SET", "requirepass", "") }
            #expect(try good.send("SET", "k", "in-db-3") == .status("OK"))
            #expect(try good.send("CLIENT", "INFO").bulkText.contains("db=3"))

            let error = #expect(throws: RedisError.self) {
                try RedisConnection(url: try RedisURL("redis://:wrong@127.0.0.1:\(server.port)"))
            }
            #expect(error?.code == .connectFailed)
            #expect(error.map { !$0.message.contains("wrong") } ?? false)

            let noAuth = try RedisURL("redis://127.0.0.1:\(server.port)")
            // No AUTH: the connection opens, the server refuses commands with an error reply.
            let refused = try RedisConnection(url: noAuth).send("GET", "k")
            guard case .error(let message) = refused else {
                Issue.record("expected NOAUTH, got \(refused)")
                return
            }
            #expect(message.hasPrefix("NOAUTH"))
        }
    }
}

extension RedisReply {
    var bulkText: String {
        if case .bulk(let bytes) = self { return String(decoding: bytes, as: UTF8.self) }
        return ""
    }
}
