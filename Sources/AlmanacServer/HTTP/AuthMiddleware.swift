import AlmanacStore
import AlmanacAuth
import AlmanacCore
import HTTPTypes
import Hummingbird

/// Verifies the bearer token of every `/v1` call and puts tenant, scopes and client in the
/// context. A platform operator (`tenant: "*"` with `admin`) may act on another tenant with
/// `?tenant=T`; anyone else naming a tenant gets a 403.
public struct AuthMiddleware: RouterMiddleware {
    public typealias Context = AppRequestContext
    let tokens: TokenService

    public init(tokens: TokenService) { self.tokens = tokens }

    public func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard let header = request.headers[.authorization] else { throw AuthFailure.missingToken }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            throw AuthFailure.invalidToken("expected 'Authorization: Bearer <token>'")
        }
        let caller: TokenService.Caller
        do {
            caller = try tokens.authenticate(bearer: String(parts[1]).trimmingCharacters(in: " "))
        } catch {
            throw AuthFailure.invalidToken(error.message)
        }
        var tenant = caller.tenant
        let query = try QueryParameters(query: request.uri.query)
        if let asked = query["tenant"] {
            guard caller.tenant == TenantName.platform, caller.scopes.contains(Scope.admin) else {
                throw AuthFailure.forbidden("only a platform operator may act on another tenant (?tenant=)")
            }
            guard TenantName.isValid(asked), asked != TenantName.platform else {
                throw AlmanacError.invalidParameter("tenant", TenantName.rule)
            }
            tenant = asked
        }
        var context = context
        context.principal = Principal(tenant: tenant, tokenTenant: caller.tenant, scopes: caller.scopes, clientID: caller.clientID)
        return try await next(request, context)
    }
}

extension AppRequestContext {
    /// The caller, who must hold `scope`.
    public func require(_ scope: String) throws -> Principal {
        let principal = try requirePrincipal()
        guard principal.scopes.contains(scope) else { throw AuthFailure.insufficientScope(scope) }
        return principal
    }
}

/// Counts requests per route and status for `/metrics`.
public struct MetricsMiddleware: RouterMiddleware {
    public typealias Context = AppRequestContext
    let metrics: AppMetrics

    public func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let response = try await next(request, context)
        metrics.request(
            route: context.endpointPath ?? "unknown", method: request.method.rawValue, status: Int(response.status.code),
            seconds: context.elapsedMilliseconds / 1000)
        return response
    }
}
