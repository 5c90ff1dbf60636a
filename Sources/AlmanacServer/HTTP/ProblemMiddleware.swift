public import AlmanacCore
public import HTTPTypes
public import Hummingbird
import Logging
import NIOCore

/// Turns every error into an RFC 9457 `application/problem+json` response, in one place.
///
/// It sits outermost, so it also sees the router's 404 for unknown routes and Hummingbird's
/// 413 for oversized bodies. A 5xx is logged with the request id; its body never leaks
/// internals.
public struct ProblemMiddleware: RouterMiddleware {
    public typealias Context = AppRequestContext

    public init() {}

    public func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            return Self.response(for: error, request: request, context: context)
        }
    }

    static func response(for error: any Error, request: Request, context: Context) -> Response {
        let problem = Problem(error)
        if problem.status >= 500 {
            context.logger.error("request failed", metadata: ["error": "\(error)", "path": "\(request.uri.path)"])
        }
        return problem.response()
    }
}

/// A problem document.
public struct Problem: Sendable {
    public var type: String
    public var title: String
    public var status: Int
    public var detail: String
    public var fieldErrors: [AlmanacError.FieldError]
    public var headers: [(HTTPField.Name, String)]

    public static let typeBase = "https://almanac.dev/problems/"

    public init(
        status: Int, slug: String, title: String, detail: String, fieldErrors: [AlmanacError.FieldError] = [],
        headers: [(HTTPField.Name, String)] = []
    ) {
        self.type = Problem.typeBase + slug
        self.title = title
        self.status = status
        self.detail = detail
        self.fieldErrors = fieldErrors
        self.headers = headers
    }

    public init(_ error: any Error) {
        switch error {
        case let e as AlmanacError:
            self.init(status: e.code.status, slug: e.code.slug, title: e.code.title, detail: e.detail, fieldErrors: e.fieldErrors)
            if let retry = e.retryAfter { headers.append((.retryAfter, String(retry))) }
        case let e as AuthFailure:
            switch e {
            case .missingToken:
                self.init(
                    status: 401, slug: "unauthorized", title: "Unauthorized", detail: "missing bearer token",
                    headers: [(.wwwAuthenticate, "Bearer error=\"invalid_token\", error_description=\"missing bearer token\"")])
            case .invalidToken(let why):
                self.init(
                    status: 401, slug: "unauthorized", title: "Unauthorized", detail: "invalid token: \(why)",
                    headers: [(.wwwAuthenticate, "Bearer error=\"invalid_token\", error_description=\"\(Self.quoted(why))\"")])
            case .insufficientScope(let scope):
                self.init(
                    status: 403, slug: "forbidden", title: "Forbidden", detail: "this call needs the scope '\(scope)'",
                    headers: [(.wwwAuthenticate, "Bearer error=\"insufficient_scope\", scope=\"\(scope)\"")])
            case .forbidden(let why):
                self.init(status: 403, slug: "forbidden", title: "Forbidden", detail: why)
            }
        case let e as HTTPError:
            let status = Int(e.status.code)
            let detail: String
            switch status {
            case 404: detail = "no such route"
            case 413: detail = "request body is larger than the limit for this call"
            default: detail = e.body ?? e.status.reasonPhrase
            }
            self.init(status: status, slug: Self.slug(for: status), title: e.status.reasonPhrase, detail: detail)
            for field in e.headers where field.name != .contentType && field.name != .contentLength {
                headers.append((field.name, field.value))
            }
        case let e as any HTTPResponseError:
            let status = Int(e.status.code)
            self.init(status: status, slug: Self.slug(for: status), title: e.status.reasonPhrase, detail: e.status.reasonPhrase)
        case let e as JSONParser.Error:
            self.init(status: 400, slug: "malformed-json", title: "Malformed JSON", detail: "malformed JSON: \(e.description)")
        default:
            self.init(status: 500, slug: "internal", title: "Internal server error", detail: "the server failed to answer this request")
        }
    }

    static func slug(for status: Int) -> String {
        switch status {
        case 400: "bad-request"
        case 401: "unauthorized"
        case 403: "forbidden"
        case 404: "not-found"
        case 405: "method-not-allowed"
        case 408: "request-timeout"
        case 409: "conflict"
        case 412: "precondition-failed"
        case 413: "payload-too-large"
        case 415: "unsupported-media-type"
        case 429: "too-many-requests"
        case 503: "unavailable"
        default: status >= 500 ? "internal" : "bad-request"
        }
    }

    static func quoted(_ s: String) -> String {
        String(s.map { $0 == "\"" || $0 == "\\" ? "'" : $0 }.prefix(200))
    }

    public var json: JSONValue {
        var o = JSONObject()
        o["type"] = .string(type)
        o["title"] = .string(title)
        o["status"] = .int(Int64(status))
        o["detail"] = .string(detail)
        if !fieldErrors.isEmpty {
            o["errors"] = .array(fieldErrors.map { ["field": .string($0.field), "message": .string($0.message)] })
        }
        return .object(o)
    }

    public func response() -> Response {
        var fields = HTTPFields()
        fields[.contentType] = "application/problem+json"
        for (name, value) in headers { fields.append(HTTPField(name: name, value: value)) }
        let bytes = JSONWriter.encode(json)
        return Response(
            status: HTTPResponse.Status(code: status), headers: fields,
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
