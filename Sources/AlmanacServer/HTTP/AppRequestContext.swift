public import AlmanacAuth
public import Hummingbird
import Logging
import NIOCore

/// Who is calling: set by `AuthMiddleware` from a verified token.
public struct Principal: Sendable, Equatable {
    /// The tenant the request acts on (for an operator with `?tenant=`, that tenant).
    public var tenant: String
    /// The token's own tenant (`*` for a platform operator).
    public var tokenTenant: String
    public var scopes: Set<Scope>
    public var clientID: String

    public init(tenant: String, tokenTenant: String, scopes: Set<Scope>, clientID: String) {
        self.tenant = tenant
        self.tokenTenant = tokenTenant
        self.scopes = scopes
        self.clientID = clientID
    }

}

/// The request context of every Almanac route.
public struct AppRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var principal: Principal?
    /// When the request started, for `took_ms`.
    public let startedAt: ContinuousClock.Instant
    /// The peer's address, for per-IP limits on the token endpoint.
    public let remoteAddress: String?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        principal = nil
        startedAt = .now
        remoteAddress = source.channel.remoteAddress?.ipAddress
    }

    /// Milliseconds since the request started.
    public var elapsedMilliseconds: Double {
        let d = ContinuousClock.now - startedAt
        let (s, atto) = d.components
        return Double(s) * 1000 + Double(atto) / 1e15
    }
}

/// The context used by HummingbirdTesting's router framework and by live servers alike.
extension AppRequestContext {
    /// The authenticated caller; routes behind `AuthMiddleware` can rely on it.
    public func requirePrincipal() throws -> Principal {
        guard let principal else { throw AuthFailure.missingToken }
        return principal
    }
}

/// Why a request is not authenticated or not allowed. Rendered by `ProblemMiddleware`.
public enum AuthFailure: Error, Sendable {
    case missingToken
    case invalidToken(String)
    case insufficientScope(String)
    case forbidden(String)
}
