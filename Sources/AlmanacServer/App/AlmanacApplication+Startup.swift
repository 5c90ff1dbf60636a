public import AlmanacApp
import AlmanacCore
public import Hummingbird
import Logging
import ServiceLifecycle
import Synchronization

extension AlmanacApplication {
    /// The application `almanac serve` runs: the port opens at once, with a starting
    /// router (`/health` 200, `/ready` 503 saying what is loading, every other route 503
    /// problem+json with `Retry-After`); a `StartupService` opens the services meanwhile,
    /// then swaps in the full router and runs the background services.
    public static func make(startup: ServicesStartup) -> some ApplicationProtocol {
        let metrics = AppMetrics()
        let responder = SwitchingResponder(starting: startingRouter(startup: startup, metrics: metrics).buildResponder())
        let opened = StartupService(startup: startup) { services in
            let router = router(services: services, metrics: metrics)
            router.add(middleware: MethodNotAllowedMiddleware(routes: router.routes))
            responder.switchTo(router.buildResponder())
        }
        return Application(
            responder: responder,
            server: server(startup.configuration, metrics: metrics),
            configuration: .init(address: .hostname(startup.configuration.host, port: startup.configuration.port), serverName: "almanac"),
            services: [opened],
            logger: startup.logger)
    }

    /// What answers while the services open.
    static func startingRouter(startup: ServicesStartup, metrics: AppMetrics) -> Router<AppRequestContext> {
        let router = Router(context: AppRequestContext.self)
        router.add(middleware: MetricsMiddleware(metrics: metrics))
        router.add(middleware: ProblemMiddleware())
        router.add(middleware: StartingMiddleware(startup: startup))
        OperationsRoutes.registerHealth(on: router)
        // Not ready while this router answers, even once the services are open: until the
        // full router is swapped in, every data route still answers 503 (a client that
        // waited for /ready got 503 from /openapi.json in that window).
        router.get("/ready") { _, _ in JSONResponse.make(startup.readiness(), status: .serviceUnavailable) }
        return router
    }
}

/// Answers 503 (problem+json, `Retry-After`) for every path but `/health` and `/ready`
/// while the services open.
struct StartingMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let startup: ServicesStartup

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        switch request.uri.path {
        case "/health", "/ready": return try await next(request, context)
        default: throw startup.unavailable
        }
    }
}

/// The application's responder: the starting router's until the services are open, then
/// the full router's, for good.
final class SwitchingResponder: HTTPResponder {
    typealias Context = AppRequestContext
    private let current: Mutex<RouterResponder<AppRequestContext>>

    init(starting: RouterResponder<AppRequestContext>) { current = Mutex(starting) }

    func switchTo(_ responder: RouterResponder<AppRequestContext>) { current.withLock { $0 = responder } }

    func respond(to request: Request, context: Context) async throws -> Response {
        let responder = current.withLock { $0 }
        return try await responder.respond(to: request, context: context)
    }
}

/// Opens the services (`ServicesStartup.open`), hands them to `opened`, then runs their
/// background services as a group of its own: graceful shutdown reaches it after the
/// HTTP server drained, and runs through the services in reverse order as before. A
/// shutdown while opening lets the opening finish, then stops the group at once.
struct StartupService: Service {
    let startup: ServicesStartup
    let opened: @Sendable (AlmanacServices) -> Void

    func run() async throws {
        let services: AlmanacServices
        do {
            services = try await startup.open()
        } catch {
            startup.logger.error("almanac failed to start", metadata: ["error": "\(error)"])
            throw error
        }
        opened(services)
        try await ServiceGroup(configuration: .init(services: services.backgroundServices, logger: services.logger)).run()
    }
}
