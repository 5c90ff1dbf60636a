import AlmanacCore
import AlmanacServer
import Foundation
import HTTPTypes
import Hummingbird
import Testing

/// The OpenAPI document (`Sources/AlmanacServer/Resources/openapi.json`) against what the
/// server serves, the routes its router registers and the contract in docs/API.md.
@Suite struct OpenAPIDocumentTests {
    static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let resourcePath = repository.appendingPathComponent("Sources/AlmanacServer/Resources/openapi.json").path
    static let tagNames: Set<String> = ["catalogue", "timeline", "auth", "operations"]
    static let methods = ["get", "put", "post", "delete", "patch", "head", "options", "trace"]

    /// One operation of the document.
    struct Operation: CustomStringConvertible {
        var method: String  // upper case, as Hummingbird spells it
        var path: String
        var value: JSONValue
        var key: String { "\(method) \(path)" }
        var description: String { key }
    }

    static func resourceBytes() throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: resourcePath)))
    }

    static func document() throws -> JSONValue {
        try JSONParser.parse(try resourceBytes())
    }

    static func operations(_ document: JSONValue) throws -> [Operation] {
        let paths = try #require(document["paths"]?.objectValue)
        var out: [Operation] = []
        for entry in paths {
            let item = try #require(entry.value.objectValue, "\(entry.key) is not an object")
            for method in methods {
                if let op = item[method] { out.append(Operation(method: method.uppercased(), path: entry.key, value: op)) }
            }
        }
        return out
    }

    @Test func servedByteForByteAsJSON() async throws {
        let file = try Self.resourceBytes()
        let text = String(decoding: file, as: UTF8.self)
        #expect(text.split(separator: "\n").count > 1000, "the document is pretty-printed, one member a line")
        try await TestApp.run(redis: .none) { app in
            let reply = try await app.get("/openapi.json", token: nil)
            #expect(reply.status == 200)
            #expect(reply.headers[.contentType] == "application/json")
            let same = reply.bytes == file
            #expect(same, "served \(reply.bytes.count) bytes, not the \(file.count) of openapi.json")
            #expect(reply["openapi"]?.stringValue?.hasPrefix("3.") == true)
        }
    }

    /// `Router.routes` (Hummingbird 2) lists every path template and method the router
    /// holds, `/v1` group prefix included, captures spelt `{name}` as in OpenAPI.
    @Test func everyRouteIsDocumentedAndEveryOperationIsRouted() async throws {
        let documented = Set(try Self.operations(try Self.document()).map(\.key))
        try await TestApp.run(redis: .none) { app in
            let router = AlmanacApplication.router(services: app.services)
            let registered = Set(router.routes.map { "\($0.method.rawValue) \($0.path.description)" })
            #expect(!registered.isEmpty)
            for route in registered.subtracting(documented).sorted() {
                Issue.record("\(route) is routed but not in openapi.json")
            }
            for operation in documented.subtracting(registered).sorted() {
                Issue.record("\(operation) is in openapi.json but not routed")
            }
        }
    }

    /// The same from outside: each documented operation, sent without a token or body to the
    /// running app, reaches a handler or the auth middleware (not the router's "no such
    /// route") and answers a status the document lists for it.
    @Test func everyOperationReachesAHandler() async throws {
        let operations = try Self.operations(try Self.document())
        try await TestApp.run(redis: .none) { app in
            for operation in operations {
                let uri = operation.path.replacing(/\{[^}]+\}/, with: "probe")
                let reply = try await app.request(HTTPRequest.Method(operation.method)!, uri)
                let unrouted = reply.status == 404 && reply["detail"]?.stringValue == "no such route"
                #expect(!unrouted, "\(operation) is not routed")
                let documented = operation.value["responses"]?.objectValue?.keys ?? []
                #expect(documented.contains(String(reply.status)), "\(operation): undocumented \(reply.status) \(reply.text)")
            }
            let unknown = try await app.request(.get, "/v1/no-such-collection")
            #expect(unknown.status == 404 && unknown["detail"] == "no such route", "the probe tells unrouted paths apart")
        }
    }

    @Test func everyOperationHasAUniqueOperationIdAndOneTag() throws {
        let document = try Self.document()
        let operations = try Self.operations(document)
        #expect(operations.count >= 25)
        var seen: [String: String] = [:]
        for operation in operations {
            let id = operation.value["operationId"]?.stringValue ?? ""
            #expect(id.wholeMatch(of: /[a-z][a-zA-Z0-9]*/) != nil, "\(operation): operationId '\(id)' is not camelCase")
            if let other = seen[id] { Issue.record("operationId \(id) is used by \(other) and \(operation)") }
            seen[id] = operation.key
            let tags = (operation.value["tags"]?.arrayValue ?? []).compactMap(\.stringValue)
            #expect(tags.count == 1 && Self.tagNames.contains(tags[0]), "\(operation): tags \(tags)")
        }
        let declared = (document["tags"]?.arrayValue ?? []).map { tag in
            (tag["name"]?.stringValue ?? "", tag["description"]?.stringValue ?? "")
        }
        #expect(Set(declared.map(\.0)) == Self.tagNames && declared.count == Self.tagNames.count)
        for (name, description) in declared { #expect(!description.isEmpty, "tag \(name) has no description") }
    }

    /// Every call docs/API.md names (`METHOD /path` in backticks) is in the document and the
    /// other way round; a status code in a contract table row is documented for that call.
    @Test func documentMatchesTheContract() throws {
        let contract = try String(contentsOf: Self.repository.appendingPathComponent("docs/API.md"), encoding: .utf8)
        let operations = try Self.operations(try Self.document())
        let byKey = Dictionary(uniqueKeysWithValues: operations.map { ($0.key, $0) })
        let call = /`(GET|PUT|POST|PATCH|DELETE) (\/[^` ]*)`/
        var named = Set<String>()
        for line in contract.split(separator: "\n") {
            let calls = line.matches(of: call).map { "\($0.output.1) \($0.output.2)" }
            named.formUnion(calls)
            guard line.hasPrefix("|") else { continue }
            let codes = line.matches(of: /\b[1-5][0-9][0-9]\b/).map { String($0.output) }
            for key in calls {
                let responses = Set(byKey[key]?.value["responses"]?.objectValue?.keys ?? [])
                for code in codes where !responses.contains(code) {
                    Issue.record("API.md gives \(key) the status \(code); openapi.json does not")
                }
            }
        }
        let documented = Set(byKey.keys)
        for key in named.subtracting(documented).sorted() { Issue.record("API.md names \(key); openapi.json does not") }
        for key in documented.subtracting(named).sorted() { Issue.record("openapi.json has \(key); API.md does not") }
        // Conventions: every /v1 call but the token endpoint takes a bearer token and a scope.
        for operation in operations where operation.path.hasPrefix("/v1/") && operation.path != "/v1/auth/token" {
            let responses = Set(operation.value["responses"]?.objectValue?.keys ?? [])
            #expect(responses.isSuperset(of: ["400", "401", "403"]), "\(operation): \(responses.sorted())")
            #expect(operation.value["security"] == nil, "\(operation) overrides the bearer requirement")
        }
    }
}
