import AlmanacTestSupport
import AlmanacAuth
import AlmanacCore
@testable import AlmanacApp
import AlmanacServer
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Testing

/// How a test wants Redis.
enum RedisMode: Sendable {
    /// The shared server from `ALMANAC_TEST_REDIS_URL` (or a private one when unset).
    case shared
    /// No cache (`--no-cache`).
    case none
    /// A given URL (a private server the test controls).
    case url(String)
}

/// A running Almanac for one test: real SQLite, Xapian and Redis in a temporary directory,
/// the HTTP app driven through HummingbirdTesting's router framework.
struct TestApp: Sendable {
    let services: AlmanacServices
    let client: any TestClientProtocol
    let directory: String

    /// Runs `body` against a fresh service. The data directory is removed afterwards
    /// unless `keep` is given (restart tests reuse it).
    ///
    /// `live` serves on a real loopback port (HummingbirdTesting's `.live`: the whole HTTP
    /// edge, timeouts included; `client.port` is the port); `logger` replaces the quiet
    /// default (tests that check what is logged pass a recording one).
    static func run(
        redis: RedisMode = .shared, directory: String? = nil, keep: Bool = false, live: Bool = false, logger: Logger? = nil,
        configure: @Sendable (inout AlmanacConfiguration) -> Void = { _ in },
        _ body: @Sendable (TestApp) async throws -> Void
    ) async throws {
        let dir = directory ?? TestApp.temporaryDirectory()
        defer { if !keep && directory == nil { try? FileManager.default.removeItem(atPath: dir) } }
        let setup = Setup(live: live, logger: logger)
        switch redis {
        case .shared:
            try await TestRedisServer.withRedisURL { url in
                try await start(dir: dir, redisURL: url, setup: setup, configure: configure, body)
            }
        case .none:
            try await start(dir: dir, redisURL: nil, setup: setup, configure: configure, body)
        case .url(let url):
            try await start(dir: dir, redisURL: url, setup: setup, configure: configure, body)
        }
    }

    struct Setup: Sendable {
        var live: Bool
        var logger: Logger?
    }

    private static func start(
        dir: String, redisURL: String?, setup: Setup, configure: @Sendable (inout AlmanacConfiguration) -> Void,
        _ body: @Sendable (TestApp) async throws -> Void
    ) async throws {
        var c = AlmanacConfiguration()
        c.dataDirectory = dir
        c.redisURL = redisURL
        c.index.pollInterval = .milliseconds(50)
        c.limits.minSeqWait = .seconds(10)
        // Each test gets a random Redis database namespace through its own directory name in keys? No:
        // cache keys carry the tenant and generation; tests use unique tenants where it matters.
        configure(&c)
        var logger = Logger(label: "almanac.test")
        logger.logLevel = .warning
        let services = try await AlmanacServices.open(c, logger: setup.logger ?? logger)
        let app = AlmanacApplication.make(services: services)
        try await app.test(setup.live ? .live : .router) { client in
            try await body(TestApp(services: services, client: client, directory: dir))
        }
    }

    static func temporaryDirectory() -> String {
        let base = ProcessInfo.processInfo.environment["ALMANAC_TEST_TMP"].flatMap { $0.isEmpty ? nil : $0 } ?? NSTemporaryDirectory()
        let dir = base + "/almanac-\(UUID().uuidString.prefix(12))"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    /// A unique tenant name, so tests sharing a Redis never share cache keys.
    static func tenant(_ hint: String = "t") -> String {
        "\(hint)-\(UUID().uuidString.prefix(8).lowercased())"
    }

    // MARK: Auth helpers

    /// A client of `tenant` with `scopes`, and a fresh token for it.
    func token(tenant: String, scopes: [Scope] = Scope.all) async throws -> String {
        let created = try await services.tokens.clients.create(tenant: tenant, name: "test", scopes: scopes)
        let issued = try await services.tokens.issue(
            grantType: "client_credentials", clientID: created.clientID, clientSecret: created.clientSecret, scope: nil,
            remoteAddress: nil)
        return issued.accessToken
    }

    func credentials(tenant: String, scopes: [Scope] = Scope.all) async throws -> ClientRegistry.Created {
        try await services.tokens.clients.create(tenant: tenant, name: "test", scopes: scopes)
    }

    // MARK: Requests

    @discardableResult
    func request(
        _ method: HTTPRequest.Method, _ uri: String, token: String? = nil, json: String? = nil, body: [UInt8]? = nil,
        headers extra: [(HTTPField.Name, String)] = []
    ) async throws -> Reply {
        var headers = HTTPFields()
        if let token { headers[.authorization] = "Bearer \(token)" }
        var buffer: ByteBuffer?
        if let json {
            headers[.contentType] = "application/json"
            buffer = ByteBuffer(string: json)
        } else if let body {
            buffer = ByteBuffer(bytes: body)
        }
        for (name, value) in extra { headers[name] = value }
        let response = try await client.execute(uri: uri, method: method, headers: headers, body: buffer)
        return Reply(status: Int(response.status.code), headers: response.headers, bytes: Array(response.body.readableBytesView))
    }

    func get(_ uri: String, token: String?) async throws -> Reply { try await request(.get, uri, token: token) }

    /// PUTs a product and waits until it is indexed.
    @discardableResult
    func putProduct(_ id: String, _ json: String, token: String) async throws -> Reply {
        let reply = try await request(.put, "/v1/products/\(id)?wait=true", token: token, json: json)
        #expect(reply.status == 201 || reply.status == 200, "PUT \(id): \(reply.text)")
        return reply
    }

    /// Loads NDJSON lines through `_bulk` and waits until indexed.
    @discardableResult
    func bulk(_ path: String, _ ndjson: String, token: String) async throws -> Reply {
        let reply = try await request(.post, path + "?wait=true", token: token, body: Array(ndjson.utf8),
            headers: [(.contentType, "application/x-ndjson")])
        #expect(reply.status == 200, "bulk: \(reply.text)")
        return reply
    }
}

/// A response as a test sees it.
struct Reply: Sendable {
    let status: Int
    let headers: HTTPFields
    let bytes: [UInt8]

    var text: String { String(decoding: bytes, as: UTF8.self) }
    var json: JSONValue { (try? JSONParser.parse(bytes)) ?? .null }
    subscript(_ key: String) -> JSONValue? { json[key] }

    /// The value at a dotted path (`total.value`, `hits.0.id`).
    func at(_ path: String) -> JSONValue? { json.at(path) }

    var hitIDs: [String] { (json["hits"]?.arrayValue ?? []).compactMap { $0["id"]?.stringValue } }

    /// problem+json with the given status, whose detail mentions `needle`.
    func isProblem(_ status: Int, mentioning needle: String? = nil) -> Bool {
        guard self.status == status, headers[.contentType] == "application/problem+json" else { return false }
        guard let needle else { return true }
        let detail = (json["detail"]?.stringValue ?? "") + " " + (json["errors"].map { JSONWriter.string($0) } ?? "")
        return detail.localizedCaseInsensitiveContains(needle)
    }
}

/// Fixture files in the repository.
enum Fixtures {
    static var directory: String {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/" {
            url.deleteLastPathComponent()
            if FileManager.default.fileExists(atPath: url.path + "/fixtures") { return url.path + "/fixtures" }
        }
        return "fixtures"
    }

    static func text(_ name: String) throws -> String {
        try String(contentsOfFile: directory + "/" + name, encoding: .utf8)
    }

    /// The first `count` lines of a fixture.
    static func lines(_ name: String, count: Int) throws -> String {
        try text(name).split(separator: "\n").prefix(count).joined(separator: "\n") + "\n"
    }
}

extension JSONValue {
    /// The value at a dotted path (`attributes.q`, `hits.0.id`).
    func at(_ path: String) -> JSONValue? {
        var current: JSONValue? = self
        for part in path.split(separator: ".") {
            if let index = Int(part), case .array(let a)? = current {
                current = index < a.count ? a[index] : nil
            } else {
                current = current?[String(part)]
            }
        }
        return current
    }
}
