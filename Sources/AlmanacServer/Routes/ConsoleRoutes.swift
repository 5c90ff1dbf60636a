import AlmanacCore
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// `GET /console` and `GET /console/{file}`: the console, a browser UI made of static files
/// (HTML, CSS, ES modules) that calls only the public API with the user's own token.
///
/// The files are a SwiftPM resource of this module (`Resources/console/`, copied into the
/// module's bundle beside the binary, as `openapi.json` is), read once when the router is
/// built and served from memory. So a request can only name one of those files: anything
/// else — another name, a path with `/`, `..`, `%2e%2e` — is a 404 problem, and nothing
/// outside the directory is ever opened.
struct ConsoleRoutes {
    /// No inline script or style, nothing from elsewhere: scripts, styles, images and API
    /// calls from this origin only; no frames, no `<base>`, no form posts, and DOM sinks
    /// (`innerHTML`) refused outright by Trusted Types.
    static let contentSecurityPolicy = [
        "default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "connect-src 'self'",
        "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'", "require-trusted-types-for 'script'",
        "trusted-types 'none'",
    ].joined(separator: "; ")

    /// Revalidated on every use (ETag, 304): file names carry no version, so a newer
    /// binary's files are picked up at once.
    static let cacheControl = "no-cache"

    let files: ConsoleFiles

    init(files: ConsoleFiles = .bundled) {
        self.files = files
    }

    func register(on router: Router<AppRequestContext>) {
        router.get("/console") { request, _ in
            try files.response(for: "index.html", request: request)
        }
        router.get("/console/{file}") { request, context in
            try files.response(for: context.parameters.get("file") ?? "", request: request)
        }
    }
}

/// The console's files by name, with their content types and entity tags.
struct ConsoleFiles: Sendable {
    struct File: Sendable {
        var bytes: ByteBuffer
        var contentType: String
        var etag: String
    }

    let byName: [String: File]

    static let contentTypes: [String: String] = [
        "html": "text/html; charset=utf-8", "css": "text/css; charset=utf-8", "js": "text/javascript; charset=utf-8",
        "svg": "image/svg+xml", "png": "image/png", "ico": "image/x-icon", "json": "application/json",
        "txt": "text/plain; charset=utf-8",
    ]

    /// The files of `Resources/console` in this module's bundle, read once.
    static let bundled: ConsoleFiles = {
        guard let url = Bundle.module.url(forResource: "console", withExtension: nil) else {
            fatalError("the console directory is missing from the AlmanacServer resource bundle")
        }
        return ConsoleFiles(directory: url.path)
    }()

    /// The regular files directly in `directory` whose names are plain (letters, digits,
    /// `.`, `-`, `_`, not starting with a dot) and whose type is known.
    init(directory: String) {
        var files: [String: File] = [:]
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        for name in names where Self.isPlainName(name) {
            let path = directory + "/" + name
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue,
                let type = name.split(separator: ".").last.flatMap({ Self.contentTypes[String($0)] }),
                let data = FileManager.default.contents(atPath: path)
            else { continue }
            let bytes = Array(data)
            files[name] = File(bytes: ByteBuffer(bytes: bytes), contentType: type, etag: "\"\(Hex.encode(FNV1a64.hash(bytes)))\"")
        }
        byName = files
    }

    static func isPlainName(_ name: String) -> Bool {
        guard let first = name.utf8.first, first != UInt8(ascii: "."), name.utf8.count <= 128 else { return false }
        return name.utf8.allSatisfy { b in
            (b >= UInt8(ascii: "a") && b <= UInt8(ascii: "z")) || (b >= UInt8(ascii: "A") && b <= UInt8(ascii: "Z"))
                || (b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9")) || b == UInt8(ascii: ".") || b == UInt8(ascii: "-")
                || b == UInt8(ascii: "_")
        }
    }

    /// The file `name` (exactly as it appears in the path: nothing is decoded), or a 404.
    func response(for name: String, request: Request) throws -> Response {
        guard Self.isPlainName(name), let file = byName[name] else {
            throw AlmanacError.notFound("no console file '\(name.prefix(128))'")
        }
        var fields = HTTPFields()
        fields[.contentSecurityPolicy] = ConsoleRoutes.contentSecurityPolicy
        fields[.cacheControl] = ConsoleRoutes.cacheControl
        fields[.eTag] = file.etag
        fields[.xContentTypeOptions] = "nosniff"
        fields[.referrerPolicy] = "no-referrer"
        fields[.xFrameOptions] = "DENY"
        fields[.crossOriginOpenerPolicy] = "same-origin"
        if request.headers[.ifNoneMatch].map({ $0.split(separator: ",").contains { $0.trimmingCharacters(in: .whitespaces) == file.etag } }) == true {
            return Response(status: .notModified, headers: fields)
        }
        fields[.contentType] = file.contentType
        return Response(status: .ok, headers: fields, body: .init(byteBuffer: file.bytes))
    }
}

extension HTTPField.Name {
    static let referrerPolicy = HTTPField.Name("Referrer-Policy")!
    static let xFrameOptions = HTTPField.Name("X-Frame-Options")!
    static let crossOriginOpenerPolicy = HTTPField.Name("Cross-Origin-Opener-Policy")!
}
