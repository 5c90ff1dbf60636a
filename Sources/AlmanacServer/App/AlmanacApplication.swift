public import AlmanacApp
public import Hummingbird
import HummingbirdCore
import Logging

/// Builds the HTTP application around opened services.
public enum AlmanacApplication {
    /// The router; `metrics` is the registry `/metrics` renders (one per application).
    public static func router(services: AlmanacServices, metrics: AppMetrics = AppMetrics()) -> Router<AppRequestContext> {
        let router = Router(context: AppRequestContext.self)
        metrics.searchAnalyticsDropped(0)
        services.catalogue.analytics.onDrop { metrics.searchAnalyticsDropped($0) }
        router.add(middleware: MetricsMiddleware(metrics: metrics))
        router.add(middleware: ProblemMiddleware())
        OperationsRoutes(services: services, metrics: metrics).register(on: router)
        ConsoleRoutes().register(on: router)
        let auth = AuthRoutes(services: services)
        auth.registerTokenEndpoint(on: router)
        let support = RouteSupport(services: services, metrics: metrics)
        let v1 = router.group("v1").add(middleware: AuthMiddleware(tokens: services.tokens))
        ProductRoutes(support: support).register(on: v1)
        EventRoutes(support: support).register(on: v1)
        SettingsRoutes(support: support).register(on: v1)
        auth.register(on: v1)
        return router
    }

    /// The application around services already open (tests; `make(startup:)` is what
    /// `almanac serve` runs).
    public static func make(services: AlmanacServices) -> some ApplicationProtocol {
        let c = services.configuration
        let metrics = AppMetrics()
        let router = router(services: services, metrics: metrics)
        // After every route, so only requests the router cannot route reach it.
        router.add(middleware: MethodNotAllowedMiddleware(routes: router.routes))
        return Application(
            router: router,
            server: server(c, metrics: metrics),
            configuration: .init(address: .hostname(c.host, port: c.port), serverName: "almanac"),
            services: services.backgroundServices,
            logger: services.logger)
    }

    /// HTTP/1 with the edge's timeouts (`AlmanacHTTP1Channel`).
    static func server(_ c: AlmanacConfiguration, metrics: AppMetrics) -> HTTPServerBuilder {
        HTTPServerBuilder { responder in
            AlmanacHTTP1Channel(
                responder: responder, limits: EdgeTimeoutLimits(c.timeouts), decoder: .init(),
                onTimeout: { metrics.edgeTimeout($0) })
        }
    }
}
