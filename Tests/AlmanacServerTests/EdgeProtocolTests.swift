import AlmanacCore
import AlmanacIndex
import AlmanacServer
import Foundation
import HTTPTypes
import Logging
import Testing
import HummingbirdTesting
import AlmanacStore
import AlmanacApp

/// What the HTTP edge answers for requests a route cannot take: a wrong method (405 with
/// `Allow`), an undocumented Content-Type (415), a reserved id (400), a request line the
/// parser refuses (problem+json), and how client-caused outcomes are logged and counted.
@Suite struct EdgeProtocolTests {
    // MARK: 405

    @Test func wrongMethodOnARoutedPathIs405WithAllow() async throws {
        try await TestApp.run(redis: .none) { app in
            let token = try await app.token(tenant: TestApp.tenant("m"))
            for (method, path, allow) in [
                (HTTPRequest.Method.delete, "/v1/products/search", "GET, POST"),
                (.put, "/v1/products/_bulk", "POST"),
                (.get, "/v1/events/aggregate", "POST"),
                (.delete, "/v1/events/_bulk", "POST"),
                (.post, "/v1/products/kettle", "DELETE, GET, PATCH, PUT"),
                (.delete, "/health", "GET"),
            ] {
                let reply = try await app.request(method, path, token: token)
                #expect(reply.isProblem(405, mentioning: "allowed"), "\(method) \(path): \(reply.status) \(reply.text)")
                #expect(reply.headers[.allow] == allow, "\(method) \(path): Allow \(reply.headers[.allow] ?? "-")")
            }
            // A path no route has is still a 404.
            #expect(try await app.request(.delete, "/v1/nothing-here", token: token).isProblem(404))
            let metrics = try await app.get("/metrics", token: nil).text
            #expect(metrics.contains(#"almanac_http_requests_total{route="/v1/products/search",method="DELETE",status="405"} 1"#), "\(metrics)")
        }
    }

    // MARK: 415

    @Test func bodyWithAnUndocumentedContentTypeIs415() async throws {
        try await TestApp.run(redis: .none) { app in
            let token = try await app.token(tenant: TestApp.tenant("ct"))
            let product = Array(#"{"title":"Kettle"}"#.utf8)
            func send(_ method: HTTPRequest.Method, _ path: String, _ body: [UInt8], _ type: String?) async throws -> Reply {
                try await app.request(method, path, token: token, body: body, headers: type.map { [(.contentType, $0)] } ?? [])
            }
            // The issue's three: text/plain on a PUT, application/json on _bulk, text/plain on aggregate.
            let put = try await send(.put, "/v1/products/k1", product, "text/plain")
            #expect(put.isProblem(415, mentioning: "application/json"), "\(put.text)")
            let bulk = try await send(.post, "/v1/products/_bulk", Array(#"{"id":"k2","title":"x"}"#.utf8), "application/json")
            #expect(bulk.isProblem(415, mentioning: "application/x-ndjson"), "\(bulk.text)")
            let aggregate = try await send(.post, "/v1/events/aggregate", Array(#"{"aggs":{}}"#.utf8), "text/plain")
            #expect(aggregate.isProblem(415))
            // curl -d's default type gets a hint.
            let form = try await send(.post, "/v1/events", Array(#"{"type":"x","source":"s","occurred_at":"2026-01-01T00:00:00Z"}"#.utf8), "application/x-www-form-urlencoded")
            #expect(form.isProblem(415, mentioning: "curl -d"), "\(form.text)")
            // Nothing was written by the refused calls.
            #expect(try await app.request(.get, "/v1/products/k1", token: token).status == 404)
            #expect(try await app.request(.get, "/v1/products/k2", token: token).status == 404)

            // Accepted: the documented types (case and parameters aside) and no Content-Type.
            #expect(try await send(.put, "/v1/products/k1", product, nil).status == 201)
            #expect(try await send(.put, "/v1/products/k1", product, "application/json; charset=utf-8").status == 200)
            #expect(try await send(.put, "/v1/products/k1", product, "Application/JSON").status == 200)
            #expect(try await send(.patch, "/v1/products/k1", Array(#"{"price":5}"#.utf8), "application/merge-patch+json").status == 200)
            #expect(try await send(.post, "/v1/products/_bulk", Array(#"{"id":"k2","title":"x"}"#.utf8), "application/x-ndjson").status == 200)
            #expect(try await send(.post, "/v1/products/_bulk", Array(#"{"id":"k3","title":"x"}"#.utf8), nil).status == 200)
            #expect(try await send(.put, "/v1/products/k1", product, "application/merge-patch+json").status == 415)
        }
    }

    // MARK: Reserved ids

    @Test func reservedIdsAreRefusedWithA400NamingTheRule() async throws {
        try await TestApp.run(redis: .none) { app in
            let token = try await app.token(tenant: TestApp.tenant("rid"))
            let put = try await app.request(.put, "/v1/products/_private", token: token, json: #"{"title":"x"}"#)
            #expect(put.isProblem(400, mentioning: "reserved"), "\(put.text)")
            #expect(put.at("errors.0.field") == "id")
            #expect(put.text.contains("may not start with '_'"))

            let lines = [#"{"id":"search","title":"a"}"#, #"{"id":"_bulk","title":"b"}"#, #"{"id":"aggregate","title":"c"}"#].joined(separator: "\n")
            let bulk = try await app.request(
                .post, "/v1/products/_bulk", token: token, body: Array(lines.utf8), headers: [(.contentType, "application/x-ndjson")])
            #expect(bulk.status == 200)
            #expect(bulk["accepted"] == 1, "\(bulk.text)")  // "aggregate" names no product path
            #expect(bulk.at("rejected.0.line") == 1 && bulk.at("rejected.1.line") == 2)
            #expect(bulk.at("rejected.0.error")?.stringValue?.contains("'search' is reserved") == true, "\(bulk.text)")
            #expect(try await app.request(.get, "/v1/products/aggregate", token: token).status == 200)

            for id in ["aggregate", "search", "_bulk", "_x"] {
                let event = try await app.request(
                    .post, "/v1/events", token: token, json: #"{"id":"\#(id)","type":"t","source":"s","occurred_at":"2026-01-01T00:00:00Z"}"#)
                #expect(event.isProblem(400, mentioning: "reserved"), "\(id): \(event.text)")
            }
        }
    }

    // MARK: Problems the parser produces

    @Test func requestsTheParserRefusesGetProblemJSON() async throws {
        try await TestApp.run(redis: .none, live: true) { app in
            let port = try #require(app.client.port)
            func raw(_ bytes: [UInt8]) async throws -> String {
                let c = try await RawConnection.connect(port: port)
                await c.send(bytes)
                _ = await c.waitForClose(timeout: .seconds(10))
                return c.received
            }
            let utf8 = try await raw(Array("GET /v1/products/".utf8) + [0xFF, 0xFE] + Array(" HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
            #expect(utf8.hasPrefix("HTTP/1.1 400 "), "\(utf8)")
            #expect(utf8.contains("application/problem+json") && utf8.contains("percent-encode"), "\(utf8)")

            let longLine = try await raw(Array(("GET /v1/products/search?q=" + String(repeating: "a", count: 90_000) + " HTTP/1.1\r\nHost: x\r\n\r\n").utf8))
            #expect(longLine.hasPrefix("HTTP/1.1 414 "), "\(longLine.prefix(300))")
            #expect(longLine.contains(#""status":414"#) && longLine.contains("80 KiB"))

            let longHeader = try await raw(Array(("GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + String(repeating: "b", count: 90_000) + "\r\n\r\n").utf8))
            #expect(longHeader.hasPrefix("HTTP/1.1 431 "), "\(longHeader.prefix(300))")
            #expect(longHeader.contains("application/problem+json"))

            let garbage = try await raw(Array("NOT HTTP AT ALL\r\n\r\n".utf8))
            #expect(garbage.hasPrefix("HTTP/1.1 400 ") && garbage.contains("application/problem+json"), "\(garbage)")
        }
    }

    // MARK: Log levels and status accounting

    @Test func clientThatDisconnectsMidBodyIsCounted499AndLoggedAtInfo() async throws {
        let (logger, log) = RecordingLogHandler.logger()
        try await TestApp.run(redis: .none, live: true, logger: logger) { app in
            let port = try #require(app.client.port)
            let tenant = TestApp.tenant("gone")
            let token = try await app.token(tenant: tenant)
            for path in ["/v1/products/gone-1", "/v1/products/_bulk"] {
                let c = try await RawConnection.connect(port: port)
                let method = path.hasSuffix("_bulk") ? "POST" : "PUT"
                let type = path.hasSuffix("_bulk") ? "application/x-ndjson" : "application/json"
                await c.send(
                    "\(method) \(path) HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(token)\r\nContent-Type: \(type)\r\n"
                        + "Content-Length: 100000\r\n\r\n" + #"{"id":"gone-2","title":"half"}"# + "\n" + #"{"id":"gone-3","ti"#)
                try await Task.sleep(for: .milliseconds(300))
                await c.close()
            }
            // Wait until both requests have been accounted.
            var metrics = ""
            for _ in 0..<50 {
                (metrics, _) = try await RawConnection.exchange(port: port, "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                if metrics.contains(#"route="/v1/products/_bulk",method="POST",status="499""#)
                    && metrics.contains(#"route="/v1/products/{id}",method="PUT",status="499""#)
                {
                    break
                }
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(metrics.contains(#"almanac_http_requests_total{route="/v1/products/{id}",method="PUT",status="499"} 1"#), "\(metrics)")
            #expect(metrics.contains(#"almanac_http_requests_total{route="/v1/products/_bulk",method="POST",status="499"} 1"#))
            #expect(!metrics.contains(#"status="500""#))
            // Nothing of the half-sent bodies was stored.
            for id in ["gone-1", "gone-2", "gone-3"] {
                #expect(try await app.services.store.productJSON(tenant: tenant, id: id) == nil)
            }
        }
        let entries = log.all
        #expect(!entries.contains { $0.level >= .error }, "\(entries.filter { $0.level >= .error }.map(\.message))")
        let gone = entries.filter { $0.metadata["status"] == "499" }
        #expect(gone.count == 2 && gone.allSatisfy { $0.level == .info }, "\(gone)")
    }

    @Test func minSeqTimeoutIsARetryable503LoggedAtInfo() async throws {
        let (logger, log) = RecordingLogHandler.logger()
        try await TestApp.run(redis: .none, logger: logger, configure: { $0.limits.minSeqWait = .milliseconds(200) }) { app in
            let token = try await app.token(tenant: TestApp.tenant("ms"))
            let reply = try await app.get("/v1/products/search?q=x&min_seq=999999", token: token)
            #expect(reply.isProblem(503, mentioning: "999999"))
            #expect(reply.headers[.retryAfter] == "1")
        }
        let entries = log.all
        #expect(!entries.contains { $0.level >= .error })
        #expect(entries.contains { $0.level == .info && $0.metadata["status"] == "503" })
    }

    @Test func onlyWhatAnOperatorMustActOnIsAnError() {
        struct Unexpected: Error {}
        #expect(Problem(Unexpected()).status == 500)
        #expect(Problem(Unexpected()).logLevel == .error)
        #expect(Problem(AlmanacError(.unavailable, "wait")).logLevel == .info)
        #expect(Problem(CancellationError()).status == 499)
        #expect(Problem(CancellationError()).logLevel == .info)
        #expect(Problem(AlmanacError.insufficientStorage("the store", .full)).status == 507)
        #expect(Problem(AlmanacError.insufficientStorage("the store", .full)).logLevel == .debug)
        #expect(Problem(AlmanacError(.validation, "bad")).logLevel == nil)
        let xapian = XapianError(
            code: .database, type: "DatabaseError", message: "Error writing block 9 (No space left on device)",
            context: "add document to /data/index/products")
        #expect(Problem(xapian).status == 507)
        #expect(Problem(xapian).detail == "the product index cannot take writes: no space left on the device")
    }
}
