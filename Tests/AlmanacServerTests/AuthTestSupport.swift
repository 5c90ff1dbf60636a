import AlmanacAuth
import AlmanacCore
@testable import AlmanacApp
import AlmanacServer
import AlmanacTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Synchronization
import Testing

/// Runs an Almanac for an auth test: like `TestApp.run`, without Redis unless asked, with a
/// log capture, and optionally over a live socket (`.live`: the peer address is real, so
/// per-address limits apply).
enum AuthHarness {
    static func run(
        live: Bool = false, redisURL: String? = nil, directory: String? = nil,
        configure: @Sendable (inout AlmanacConfiguration) -> Void = { _ in },
        _ body: @Sendable (TestApp, LogCapture) async throws -> Void
    ) async throws {
        let dir = directory ?? TestApp.temporaryDirectory()
        defer { if directory == nil { try? FileManager.default.removeItem(atPath: dir) } }
        var c = AlmanacConfiguration()
        c.dataDirectory = dir
        c.redisURL = redisURL
        c.index.pollInterval = .milliseconds(50)
        c.limits.minSeqWait = .seconds(10)
        if live {
            c.host = "127.0.0.1"
            c.port = 0
        }
        configure(&c)
        let capture = LogCapture()
        var logger = Logger(label: "almanac.test") { _ in CapturingLogHandler(capture: capture) }
        logger.logLevel = .info
        let services = try await AlmanacServices.open(c, logger: logger)
        let app = AlmanacApplication.make(services: services)
        try await app.test(live ? .live : .router) { client in
            try await body(TestApp(services: services, client: client, directory: dir), capture)
        }
    }
}

/// Log records kept for assertions.
final class LogCapture: Sendable {
    struct Entry: Sendable {
        var level: Logger.Level
        var message: String
        var metadata: [String: String]
    }

    private let entries = Mutex<[Entry]>([])

    func append(_ entry: Entry) { entries.withLock { $0.append(entry) } }

    var all: [Entry] { entries.withLock { $0 } }

    func entries(containing text: String) -> [Entry] { all.filter { $0.message.contains(text) } }

    /// Every logged message and metadata value, as one string (to check nothing leaks).
    var transcript: String {
        all.map { e in e.message + " " + e.metadata.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ") }
            .joined(separator: "\n")
    }
}

struct CapturingLogHandler: LogHandler {
    let capture: LogCapture
    var metadata: Logger.Metadata = [:]
    var metadataProvider: Logger.MetadataProvider?
    var logLevel: Logger.Level = .info

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var merged = metadata
        for (k, v) in event.metadata ?? [:] { merged[k] = v }
        capture.append(.init(level: event.level, message: event.message.description, metadata: merged.mapValues { "\($0)" }))
    }
}

/// A monotonic clock the test moves by hand.
final class ManualClock: Sendable {
    private let value = Mutex<Double>(1_000)
    var now: Double { value.withLock { $0 } }
    func advance(_ seconds: Double) { value.withLock { $0 += seconds } }
    var function: @Sendable () -> Double { { self.now } }
}

// MARK: - Token endpoint helpers

extension TestApp {
    /// `POST /v1/auth/token` with a form body (and optional HTTP Basic credentials).
    func tokenRequest(
        form: String, basic: (id: String, secret: String)? = nil, contentType: String? = "application/x-www-form-urlencoded"
    ) async throws -> Reply {
        var headers: [(HTTPField.Name, String)] = []
        if let contentType { headers.append((.contentType, contentType)) }
        if let basic {
            headers.append((.authorization, "Basic " + Data("\(basic.id):\(basic.secret)".utf8).base64EncodedString()))
        }
        return try await request(.post, "/v1/auth/token", body: Array(form.utf8), headers: headers)
    }

    /// `POST /v1/auth/token` with a JSON body.
    func tokenRequest(json: String) async throws -> Reply {
        try await request(.post, "/v1/auth/token", json: json)
    }

    /// A token for `client` over HTTP (form body), scope narrowed when given.
    func httpToken(_ client: ClientRegistry.Created, scope: String? = nil) async throws -> String {
        var form = "grant_type=client_credentials&client_id=\(client.clientID)&client_secret=\(client.clientSecret)"
        if let scope { form += "&scope=" + scope.replacingOccurrences(of: " ", with: "+") }
        let reply = try await tokenRequest(form: form)
        #expect(reply.status == 200, "token: \(reply.text)")
        return try #require(reply["access_token"]?.stringValue)
    }

    /// A client with `scopes` and a token for it issued over HTTP.
    func newClient(tenant: String, scopes: [Scope] = Scope.all) async throws -> (client: ClientRegistry.Created, token: String) {
        let client = try await credentials(tenant: tenant, scopes: scopes)
        return (client, try await httpToken(client))
    }
}

extension Reply {
    /// A 401 with the bearer challenge API.md promises.
    var isInvalidTokenChallenge: Bool {
        status == 401 && (headers[.wwwAuthenticate]?.hasPrefix("Bearer error=\"invalid_token\"") ?? false)
    }

    var retryAfter: Int? { headers[.retryAfter].flatMap { Int($0) } }
}

// MARK: - Forging tokens

/// Builds hostile tokens: any header, any claims, any signature.
enum Forge {
    static func encode(_ object: JSONObject) -> String { Base64URL.encode(JSONWriter.encode(.object(object))) }

    static func parts(_ token: String) -> [String] { token.split(separator: ".", omittingEmptySubsequences: false).map(String.init) }

    static func header(_ token: String) throws -> JSONObject { try part(token, 0) }

    static func claims(_ token: String) throws -> JSONObject { try part(token, 1) }

    private static func part(_ token: String, _ index: Int) throws -> JSONObject {
        let all = parts(token)
        let bytes = try #require(index < all.count ? Base64URL.decode(all[index]) : nil)
        let value = try JSONParser.parse(bytes)
        return try #require(value.objectValue)
    }

    /// Valid claims for `client` of `tenant`, with overrides (nil removes a claim).
    static func claims(tenant: String, clientID: String, scope: String = Scope.allNames,
                       _ overrides: [(String, JSONValue?)] = []) -> JSONObject {
        let now = Timestamp.now().seconds
        var claims = JSONObject([
            ("iss", "almanac"), ("aud", "almanac"), ("sub", .string(clientID)), ("client_id", .string(clientID)),
            ("tenant", .string(tenant)), ("scope", .string(scope)), ("iat", .int(now)), ("nbf", .int(now)),
            ("exp", .int(now + 300)), ("jti", "forged"),
        ])
        for (name, value) in overrides { claims[name] = value }
        return claims
    }

    /// ES256 over the exact encoded header and claims.
    static func es256(header: JSONObject, claims: JSONObject, key: P256PrivateKey) throws -> String {
        let input = encode(header) + "." + encode(claims)
        return input + "." + Base64URL.encode(try key.sign(Array(input.utf8)))
    }

    static func es256Header(kid: String?) -> JSONObject {
        var h = JSONObject([("alg", "ES256"), ("typ", "JWT")])
        if let kid { h["kid"] = .string(kid) }
        return h
    }
}

// MARK: - PyJWT

/// The `almanac` executable built next to the test bundle, when present.
enum AlmanacCLI {
    static let path: String? = {
        var url = URL(fileURLWithPath: CommandLine.arguments.first ?? "")
        // swift-testing runs from `<build>/debug/almanacPackageTests.xctest`; the executable sits beside it.
        for _ in 0..<4 {
            url.deleteLastPathComponent()
            let candidate = url.appendingPathComponent("almanac").path
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate, isDirectory: &isDirectory), !isDirectory.boolValue,
                FileManager.default.isExecutableFile(atPath: candidate)
            {
                return candidate
            }
        }
        return nil
    }()

    static var isAvailable: Bool { path != nil }

    static func run(_ arguments: [String]) throws -> ChildProcess.Result {
        try ChildProcess.run(try #require(path), arguments)
    }
}
