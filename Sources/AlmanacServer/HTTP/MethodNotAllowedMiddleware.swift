import AlmanacCore
import HTTPTypes
import Hummingbird

/// `405 Method Not Allowed` with `Allow` (RFC 9110 §15.5.6) for a routed path asked with a
/// method it does not have (`DELETE /v1/products/search`), where the router alone answers
/// 404.
///
/// It is added to the router after every route, so it runs only on the router's not-found
/// path, inside `MetricsMiddleware` and `ProblemMiddleware`. The allowed methods come from
/// the router itself (`Router.routes`): a second router holds every routed path, and
/// resolving the request's path there (with Hummingbird's own trie, so a static segment
/// such as `search` wins over `{id}` exactly as in the real router) answers which methods
/// that path has.
struct MethodNotAllowedMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext

    /// The routed paths and, for each, its methods.
    private let paths: RouterResponder<AppRequestContext>

    init(routes: [Router<AppRequestContext>.RouteDescription]) {
        var methods: [String: (RouterPath, Set<HTTPRequest.Method>)] = [:]
        for route in routes {
            methods[route.path.description, default: (route.path, [])].1.insert(route.method)
        }
        let shadow = Router(context: AppRequestContext.self)
        for (template, entry) in methods {
            let allow = entry.1.map(\.rawValue).sorted().joined(separator: ", ")
            shadow.on(entry.0, method: .get) { _, _ in
                var fields = HTTPFields()
                fields[.allow] = allow
                fields[Self.templateField] = template
                return Response(status: .methodNotAllowed, headers: fields)
            }
        }
        paths = shadow.buildResponder()
    }

    static let templateField = HTTPField.Name("X-Almanac-Route")!

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let probe = Request(
            head: HTTPRequest(method: .get, scheme: nil, authority: nil, path: request.head.path ?? "/"),
            body: RequestBody(buffer: ByteBuffer()))
        guard let found = try? await paths.respond(to: probe, context: context), found.status == .methodNotAllowed,
            let allow = found.headers[.allow]
        else {
            return try await next(request, context)
        }
        if let template = found.headers[Self.templateField] {
            // Metrics count the 405 under the route it was asked of.
            context.coreContext.endpointPath.value = template
        }
        throw HTTPError(
            .methodNotAllowed, headers: [.allow: allow],
            message: "\(request.method.rawValue) is not allowed on \(found.headers[Self.templateField] ?? "this path"); allowed: \(allow)")
    }
}
