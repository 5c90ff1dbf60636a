import AlmanacAuth
import AlmanacStore
import Hummingbird
import AlmanacCore
import AlmanacApp

/// `GET/PUT /v1/settings` (admin): a tenant's language, synonyms, stop words and typo rules.
struct SettingsRoutes {
    let support: RouteSupport

    func register(on group: RouterGroup<AppRequestContext>) {
        group.get("settings") { _, context in
            let principal = try context.require(Scope.admin)
            return JSONResponse.make(support.services.settings(tenant: principal.tenant).json)
        }
        group.put("settings") { request, context in
            let principal = try context.require(Scope.admin)
            var request = request
            let body = try await request.jsonBody(limit: support.limits.bodyBytes)
            let (settings, seq) = try await support.services.putSettings(
                body, caller: WriteContext(tenant: principal.tenant, actor: principal.clientID))
            guard case .object(var o) = settings.json else { return JSONResponse.make(settings.json) }
            o["seq"] = .int(seq)
            return JSONResponse.make(.object(o))
        }
    }
}
