public import AlmanacAuth
import AlmanacCore
import HTTPTypes
public import Hummingbird
import Logging
import NIOPosix

/// Verifies the bearer token of every `/v1` call and puts tenant, scopes and client in the
/// context. The tenant comes from the verified token only, never from a body.
///
/// A platform operator (`tenant: "*"` with `admin`) may act on another tenant with
/// `?tenant=T`; anyone else naming a tenant gets a 403 (even their own: the parameter is
/// the operator's alone). Every refusal is a 401 with
/// `WWW-Authenticate: Bearer error="invalid_token"` whose description is fixed text: it
/// never echoes the token, a key id or an expected value.
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
            caller = try await tokens.authenticate(bearer: String(parts[1]).trimmingCharacters(in: " "))
        } catch {
            context.logger.info(
                "bearer token refused",
                metadata: ["reason": "\(error.reason)", "path": "\(request.uri.path.prefix(200))", "address": "\(context.remoteAddress ?? "-")"])
            throw AuthFailure.invalidToken(error.message)
        }
        var tenant = caller.tenant
        if let asked = try Self.tenantParameter(request.uri.query) {
            guard caller.tenant == TenantName.platform, caller.scopes.contains(.admin) else {
                context.logger.notice(
                    "?tenant= refused for a non-operator",
                    metadata: ["client_id": "\(caller.clientID)", "tenant": "\(caller.tenant)"])
                throw AuthFailure.forbidden("only a platform operator may act on another tenant (?tenant=)")
            }
            guard TenantName.isValid(asked), asked != TenantName.platform else {
                throw AlmanacError.invalidParameter("tenant", TenantName.rule)
            }
            tenant = asked
        }
        var context = context
        context.principal = Principal(tenant: tenant, tokenTenant: caller.tenant, scopes: caller.scopes, clientID: caller.clientID)
        // One metadata assignment rather than two subscripts: a handler may render its
        // metadata on every change.
        var metadata = context.logger.handler.metadata
        metadata["client_id"] = .string(caller.clientID)
        metadata["tenant"] = .string(tenant)
        context.logger.handler.metadata = metadata
        return try await next(request, context)
    }

    /// `?tenant=`, if the query has it. Most queries do not: those without the word
    /// `tenant` and without percent-escapes (which could spell it) are not parsed here.
    static func tenantParameter(_ query: String?) throws -> String? {
        guard let query, query.utf8.contains(UInt8(ascii: "%")) || query.contains("tenant") else { return nil }
        return try QueryParameters(query: query)["tenant"]
    }
}

extension AppRequestContext {
    /// The caller, who must hold `scope`.
    public func require(_ scope: Scope) throws -> Principal {
        let principal = try requirePrincipal()
        guard principal.scopes.contains(scope) else { throw AuthFailure.insufficientScope(scope.rawValue) }
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
