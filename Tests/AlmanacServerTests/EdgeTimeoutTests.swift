import AlmanacCore
import AlmanacServer
import Foundation
import Testing
import HTTPTypes
import AlmanacApp
import HummingbirdTesting
import AlmanacStore

/// The HTTP edge against slow clients, on a live server (real sockets): a head that never
/// completes, a body trickled a byte a second, a keep-alive connection left idle. Each is
/// closed within its configured time, with a 408 problem+json where HTTP allows one, while
/// other clients are served as usual.
@Suite struct EdgeTimeoutTests {
    /// Short limits, so the test takes seconds: 1 s for the head, a body at 50 bytes/s after
    /// 1 s, 1 s idle.
    static func shortTimeouts(_ c: inout AlmanacConfiguration) {
        c.timeouts.headerSeconds = 1
        c.timeouts.bodySeconds = 1
        c.timeouts.bodyMinBytesPerSecond = 50
        c.timeouts.idleSeconds = 1
    }

    /// Generous bounds: the machine is shared and loaded while the suite runs.
    static let slack: Duration = .seconds(2)

    @Test func partialHeadIsAnswered408AndClosedWithinTheHeaderTimeout() async throws {
        try await TestApp.run(redis: .none, live: true, configure: Self.shortTimeouts) { app in
            let port = try #require(app.client.port)
            let slow = try await RawConnection.connect(port: port)
            await slow.send("GET /health HTTP/1.1\r\nHost: localhost\r\nX-Slow: ")
            #expect(await slow.waitForClose(timeout: .seconds(1) + Self.slack))
            let after = try #require(slow.closedAfter)
            #expect(after >= .milliseconds(900), "closed after \(after)")
            #expect(slow.received.hasPrefix("HTTP/1.1 408 "), "\(slow.received)")
            #expect(slow.received.contains("application/problem+json"))
            #expect(slow.received.contains("\"status\":408"))
            #expect(slow.received.contains("request head did not arrive within 1 s"))
        }
    }

    @Test func connectionThatSendsNothingIsClosedWithoutAnAnswer() async throws {
        try await TestApp.run(redis: .none, live: true, configure: Self.shortTimeouts) { app in
            let port = try #require(app.client.port)
            let silent = try await RawConnection.connect(port: port)
            #expect(await silent.waitForClose(timeout: .seconds(1) + Self.slack))
            #expect(silent.received.isEmpty)
        }
    }

    @Test func bodyTrickledAtOneBytePerSecondIsAnswered408() async throws {
        try await TestApp.run(redis: .none, live: true, configure: Self.shortTimeouts) { app in
            let port = try #require(app.client.port)
            let tenant = TestApp.tenant("slow")
            let token = try await app.token(tenant: tenant)
            let body = Array(#"{"title":"a product sent very slowly"}"#.utf8)
            let slow = try await RawConnection.connect(port: port)
            await slow.send(
                "PUT /v1/products/slow-1 HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer \(token)\r\n"
                    + "Content-Type: application/json\r\nContent-Length: \(body.count)\r\n\r\n")
            var sent = 0
            while sent < body.count, !slow.isClosed {
                await slow.send([body[sent]])
                sent += 1
                try await Task.sleep(for: .seconds(1))
            }
            #expect(await slow.waitForClose(timeout: Self.slack))
            // 1 s allowance plus a byte per 50th of a second: a few seconds at most, far
            // sooner than the 38 s the body would take.
            let after = try #require(slow.closedAfter)
            #expect(after < .seconds(2) + Self.slack * 2, "closed after \(after)")
            #expect(sent < body.count, "the whole body was accepted")
            #expect(slow.received.hasPrefix("HTTP/1.1 408 "), "\(slow.received)")
            #expect(slow.received.contains("request body arrived slower than 50 bytes/s"))
            // Nothing was stored.
            #expect(try await app.services.store.productJSON(tenant: tenant, id: "slow-1") == nil)
        }
    }

    @Test func idleKeepAliveConnectionIsClosedAfterTheIdleTimeout() async throws {
        try await TestApp.run(redis: .none, live: true, configure: Self.shortTimeouts) { app in
            let port = try #require(app.client.port)
            let idle = try await RawConnection.connect(port: port)
            await idle.send("GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n")
            #expect(await idle.waitFor("\"status\":\"ok\"", timeout: Self.slack))
            let answered = ContinuousClock.now
            #expect(await idle.waitForClose(timeout: .seconds(1) + Self.slack))
            let idleFor = ContinuousClock.now - answered
            #expect(idleFor >= .milliseconds(800), "closed after \(idleFor) idle")
            // One answer, no 408 on an idle connection.
            #expect(!idle.received.contains("408"))
        }
    }

    @Test func keepAliveConnectionThatKeepsAskingStaysOpen() async throws {
        try await TestApp.run(redis: .none, live: true, configure: Self.shortTimeouts) { app in
            let port = try #require(app.client.port)
            let busy = try await RawConnection.connect(port: port)
            for i in 1...4 {
                await busy.send("GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n")
                let deadline = ContinuousClock.now + Self.slack
                while busy.received.components(separatedBy: "HTTP/1.1 200 ").count - 1 < i, ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(20))
                }
                #expect(busy.received.components(separatedBy: "HTTP/1.1 200 ").count - 1 == i, "answer \(i) missing")
                // Under the 1 s idle limit between requests: the connection stays.
                try await Task.sleep(for: .milliseconds(500))
                #expect(!busy.isClosed, "closed before request \(i + 1)")
            }
            await busy.close()
        }
    }

    @Test func otherClientsAreServedWhileSlowClientsHoldConnections() async throws {
        try await TestApp.run(redis: .none, live: true, configure: { c in
            c.timeouts.headerSeconds = 3
            c.timeouts.bodySeconds = 3
            c.timeouts.bodyMinBytesPerSecond = 50
            c.timeouts.idleSeconds = 30
        }) { app in
            let port = try #require(app.client.port)
            var slow: [RawConnection] = []
            for i in 0..<20 {
                let c = try await RawConnection.connect(port: port)
                await c.send("GET /health HTTP/1.1\r\nHost: localhost\r\nX-Slow-\(i): ")
                slow.append(c)
            }
            // A normal client, meanwhile: answered at once, several times.
            for _ in 0..<5 {
                let (reply, took) = try await RawConnection.exchange(port: port, "GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                #expect(reply.hasPrefix("HTTP/1.1 200 "))
                #expect(took < .seconds(2))
            }
            #expect(slow.allSatisfy { !$0.isClosed })
            // The slow ones go within their limit; the normal client still works after.
            for c in slow { #expect(await c.waitForClose(timeout: .seconds(3) + Self.slack)) }
            #expect(slow.allSatisfy { $0.received.hasPrefix("HTTP/1.1 408 ") })
            let (health, _) = try await RawConnection.exchange(port: port, "GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            #expect(health.hasPrefix("HTTP/1.1 200 "))
            let (metrics, _) = try await RawConnection.exchange(port: port, "GET /metrics HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            #expect(metrics.contains("almanac_http_timeouts_total{phase=\"header\"} 20"), "\(metrics)")
        }
    }

    @Test func timeoutsAreConfigurableInTheConfigFile() throws {
        let path = TestApp.temporaryDirectory() + "/config.json"
        try Data(#"{"header_timeout_seconds": 2.5, "body_timeout_seconds": 7, "body_min_bytes_per_second": 256, "idle_timeout_seconds": 20}"#.utf8)
            .write(to: URL(fileURLWithPath: path))
        var c = AlmanacConfiguration()
        #expect(c.timeouts.headerSeconds == 10 && c.timeouts.bodySeconds == 10)
        #expect(c.timeouts.bodyMinBytesPerSecond == 1024 && c.timeouts.idleSeconds == 60)
        try c.apply(configFile: path)
        #expect(c.timeouts.headerSeconds == 2.5)
        #expect(c.timeouts.bodySeconds == 7)
        #expect(c.timeouts.bodyMinBytesPerSecond == 256)
        #expect(c.timeouts.idleSeconds == 20)
        try Data(#"{"idle_timeout_seconds": 0}"#.utf8).write(to: URL(fileURLWithPath: path))
        #expect(throws: AlmanacError.self) { try c.apply(configFile: path) }
    }
}
