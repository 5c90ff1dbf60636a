import AlmanacCore
import Foundation
import HTTPTypes
import Testing

@testable import AlmanacServer

/// The console's static files (`GET /console`, `GET /console/{file}`): content types,
/// caching, a strict Content-Security-Policy, 404 problems for anything else.
@Suite struct ConsoleTests {
    static let directory = OpenAPIDocumentTests.repository.appendingPathComponent("Sources/AlmanacServer/Resources/console").path

    static var files: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { !$0.hasPrefix(".") }.sorted()
    }

    @Test func theConsoleIsServedWithStrictHeaders() async throws {
        try await TestApp.run(redis: .none) { app in
            for path in ["/console", "/console/", "/console/index.html"] {
                let reply = try await app.get(path, token: nil)
                #expect(reply.status == 200, "\(path): \(reply.status)")
                #expect(reply.headers[.contentType] == "text/html; charset=utf-8", "\(path)")
                #expect(reply.text.contains(#"<script type="module" src="/console/app.js"></script>"#))
                let csp = reply.headers[.contentSecurityPolicy] ?? ""
                #expect(csp.contains("default-src 'none'"))
                #expect(csp.contains("script-src 'self'"))
                #expect(csp.contains("style-src 'self'"))
                #expect(csp.contains("connect-src 'self'"))
                #expect(csp.contains("frame-ancestors 'none'"))
                #expect(!csp.contains("unsafe-inline") && !csp.contains("unsafe-eval") && !csp.contains("http"), "\(csp)")
                #expect(reply.headers[.cacheControl] == "no-cache")
                #expect(reply.headers[.eTag]?.hasPrefix("\"") == true)
                #expect(reply.headers[HTTPField.Name("X-Content-Type-Options")!] == "nosniff")
                #expect(reply.headers[HTTPField.Name("X-Frame-Options")!] == "DENY")
            }
        }
    }

    @Test func everyFileHasItsContentType() async throws {
        let expected = [
            "html": "text/html; charset=utf-8", "css": "text/css; charset=utf-8", "js": "text/javascript; charset=utf-8",
            "svg": "image/svg+xml",
        ]
        #expect(Self.files.contains("app.js") && Self.files.contains("console.css"))
        try await TestApp.run(redis: .none) { app in
            for name in Self.files {
                let reply = try await app.get("/console/\(name)", token: nil)
                #expect(reply.status == 200, "\(name)")
                let ext = String(name.split(separator: ".").last ?? "")
                #expect(reply.headers[.contentType] == expected[ext], "\(name): \(reply.headers[.contentType] ?? "none")")
                #expect(reply.headers[.contentSecurityPolicy] == ConsoleRoutes.contentSecurityPolicy)
                #expect(reply.headers[.cacheControl] == "no-cache")
                let onDisk = try Data(contentsOf: URL(fileURLWithPath: Self.directory + "/" + name))
                #expect(reply.bytes == Array(onDisk), "\(name) is served byte for byte")
            }
        }
    }

    @Test func aKnownEntityTagAnswers304() async throws {
        try await TestApp.run(redis: .none) { app in
            let first = try await app.get("/console/app.js", token: nil)
            let etag = try #require(first.headers[.eTag])
            let again = try await app.request(.get, "/console/app.js", headers: [(.ifNoneMatch, etag)])
            #expect(again.status == 304)
            #expect(again.bytes.isEmpty)
            #expect(again.headers[.eTag] == etag)
            let changed = try await app.request(.get, "/console/app.js", headers: [(.ifNoneMatch, "\"other\"")])
            #expect(changed.status == 200)
        }
    }

    static let outside = [
        "/console/nope.js",
        "/console/app.js.map",
        "/console/.hidden",
        "/console/../Package.swift",
        "/console/../../Package.swift",
        "/console/..%2fPackage.swift",
        "/console/..%2f..%2f..%2fPackage.swift",
        "/console/%2e%2e/Package.swift",
        "/console/%2e%2e%2fPackage.swift",
        "/console/%2e%2e%2f%2e%2e%2fPackage.swift",
        "/console/%2E%2E%2F%2E%2E%2FPackage.swift",
        "/console/..",
        "/console/%2e%2e",
        "/console/app.js%00.html",
        "/console/%61pp.js",
        "/console/..\\Package.swift",
        "/console/sub/app.js",
        "/console/Resources/console/app.js",
        "/console/openapi.json",
    ]

    /// Only the directory's own files are served: every other name, and every way of
    /// spelling a path out of it, is a 404 problem that carries nothing of the file.
    @Test(arguments: outside)
    func anythingElseIsA404Problem(_ path: String) async throws {
        try await TestApp.run(redis: .none) { app in
            let reply = try await app.get(path, token: nil)
            #expect(reply.status == 404, "\(path): \(reply.status) \(reply.text.prefix(200))")
            #expect(reply.headers[.contentType] == "application/problem+json", "\(path)")
            #expect(reply["status"] == 404)
            #expect(!reply.text.contains("swift-tools-version") && !reply.text.contains("\"openapi\""), "\(path) leaked a file")
        }
    }

    /// The files themselves keep to the policy: no inline script or style, no handler
    /// attributes, nothing fetched from another origin, no HTML assembled from strings.
    @Test func theFilesNeedNothingThePolicyForbids() throws {
        for name in Self.files {
            let text = try String(contentsOfFile: Self.directory + "/" + name, encoding: .utf8)
            if name.hasSuffix(".html") {
                #expect(text.matches(of: /<script(?![^>]*\bsrc=)[^>]*>/).isEmpty, "\(name): inline script")
                #expect(!text.contains("<style"), "\(name): inline style")
                #expect(text.matches(of: /\s(style|on[a-z]+)=/).isEmpty, "\(name): style or handler attribute")
            }
            if name.hasSuffix(".js") {
                for sink in ["innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function", "localStorage", "sessionStorage", "document.cookie"] {
                    #expect(!text.contains(sink), "\(name) uses \(sink)")
                }
                #expect(text.matches(of: /setAttribute\(\s*'style'/).isEmpty, "\(name) sets a style attribute")
            }
            for url in text.matches(of: /https?:\/\/[^\s'"<>)]+/).map({ String($0.output) }) {
                #expect(url == "http://www.w3.org/2000/svg", "\(name) refers to \(url)")
            }
        }
    }
}
