import AlmanacStore
import AlmanacAuth
import AlmanacCore
import Hummingbird
import HummingbirdCore
import Logging

/// Builds the HTTP application around opened services.
public enum AlmanacApplication {
    public static func router(services: AlmanacServices) -> Router<AppRequestContext> {
        let router = Router(context: AppRequestContext.self)
        router.add(middleware: MetricsMiddleware(metrics: services.metrics))
        router.add(middleware: ProblemMiddleware())
        OperationsRoutes(services: services).register(on: router)
        let auth = AuthRoutes(services: services)
        auth.registerTokenEndpoint(on: router)
        let support = RouteSupport(services: services)
        let v1 = router.group("v1").add(middleware: AuthMiddleware(tokens: services.tokens))
        ProductRoutes(services: services, support: support).register(on: v1)
        EventRoutes(services: services, support: support).register(on: v1)
        SettingsRoutes(services: services).register(on: v1)
        auth.register(on: v1)
        return router
    }

    public static func make(services: AlmanacServices) -> some ApplicationProtocol {
        let c = services.configuration
        let router = router(services: services)
        // After every route, so only requests the router cannot route reach it.
        router.add(middleware: MethodNotAllowedMiddleware(routes: router.routes))
        let metrics = services.metrics
        let server = HTTPServerBuilder { responder in
            AlmanacHTTP1Channel(
                responder: responder, limits: EdgeTimeoutLimits(c.timeouts), decoder: .init(),
                onTimeout: { metrics.edgeTimeout($0) })
        }
        return Application(
            router: router,
            server: server,
            configuration: .init(address: .hostname(c.host, port: c.port), serverName: "almanac"),
            services: services.backgroundServices,
            logger: services.logger)
    }
}
