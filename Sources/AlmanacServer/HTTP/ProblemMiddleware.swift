public import AlmanacCore
import AlmanacIndex
import AlmanacStore
public import HTTPTypes
public import Hummingbird
public import Logging
import NIOCore
import NIOHTTP1
#if canImport(Glibc)
import Glibc
#endif

/// Turns every error into an RFC 9457 `application/problem+json` response, in one place.
///
/// It sits outermost, so it also sees the router's 404 for unknown routes and Hummingbird's
/// 413 for oversized bodies. Failures are logged with the request id at the level
/// ``Problem/logLevel`` gives; a 5xx body never leaks internals.
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
        let metadata: Logger.Metadata = ["error": "\(error)", "path": "\(request.uri.path.prefix(200))", "status": "\(problem.status)"]
        switch problem.logLevel {
        case .error: context.logger.error("request failed", metadata: metadata)
        case .info: context.logger.info("request not completed", metadata: metadata)
        case .debug: context.logger.debug("request refused", metadata: metadata)
        default: break
        }
        return problem.response()
    }
}

/// Errors that mean the client went away before its request was complete: the answer
/// cannot reach it, so it is counted as 499 (nginx's "client closed request") and logged
/// at `info`, never as a 500.
enum ClientGone {
    static func matches(_ error: any Error) -> Bool {
        switch error {
        case is CancellationError:
            return true
        case let e as ChannelError:
            switch e {
            case .eof, .ioOnClosedChannel, .alreadyClosed, .outputClosed, .inputClosed: return true
            default: return false
            }
        case let e as IOError:
            return [ECONNRESET, EPIPE, ECONNABORTED, ETIMEDOUT, ENOTCONN].contains(e.errnoCode)
        case let e as HTTPParserError:
            // The connection ended before the body did.
            return e == .invalidEOFState
        default:
            return false
        }
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
        case let e as EdgeTimeout:
            self.init(
                status: 408, slug: "request-timeout", title: "Request timeout", detail: e.detail, headers: [(.connection, "close")])
        case _ where ClientGone.matches(error):
            self.init(
                status: 499, slug: "client-closed-request", title: "Client closed request",
                detail: "the client closed the connection before its request was complete")
        case let e as HTTPParserError:
            // The body's framing was broken (a bad chunk size, ...): the client's fault.
            self.init(status: 400, slug: "bad-request", title: "Bad request", detail: "the request is not valid HTTP/1.1: \(e)")
        default:
            if let kind = StorageFault.classify(error) {
                // A storage fault from a path that did not name its store (the store's own
                // writes already answer a 507 naming it): name the index from Xapian's context.
                let context = (error as? XapianError)?.context ?? ""
                let what =
                    context.contains("/index/products") ? "the product index"
                    : context.contains("/index/events") ? "the event index" : "the data directory"
                self.init(
                    status: 507, slug: "insufficient-storage", title: "Insufficient storage",
                    detail: "\(what) cannot take writes: \(kind)")
            } else {
                self.init(status: 500, slug: "internal", title: "Internal server error", detail: "the server failed to answer this request")
            }
        }
    }

    /// How loud a failed request is in the log: `error` only for what an operator must act
    /// on (a 500: a bug or a broken dependency). Retryable and client-caused outcomes (503
    /// `min_seq` waits, 499 disconnects, 408 slow clients) are `info`; a 507 is `debug`
    /// per request, because the storage fault itself is logged once when it starts and once
    /// when it ends; other 4xx are not logged here.
    public var logLevel: Logger.Level? {
        switch status {
        case 500, 501, 502, 504...506, 508...: .error
        case 507: .debug
        case 503, 499, 408: .info
        default: nil
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
        case 431: "request-header-fields-too-large"
        case 414: "uri-too-long"
        case 499: "client-closed-request"
        case 503: "unavailable"
        case 507: "insufficient-storage"
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
