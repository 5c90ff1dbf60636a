import AlmanacStore
import AlmanacAuth
import AlmanacCore
import Hummingbird

/// `GET/PUT /v1/settings` (admin): a tenant's language, synonyms, stop words and typo rules.
struct SettingsRoutes {
    let services: AlmanacServices

    func register(on group: RouterGroup<AppRequestContext>) {
        group.get("settings") { _, context in
            let principal = try context.require(Scope.admin)
            return JSONResponse.make(services.tenants.settings(principal.tenant).json)
        }
        group.put("settings") { request, context in
            let principal = try context.require(Scope.admin)
            var request = request
            let body = try await request.jsonBody(limit: services.configuration.limits.bodyBytes)
            let settings = try SearchSettings(json: body, languages: SearchLanguages.all)
            let old = services.tenants.settings(principal.tenant)
            // Stemming happens at index time: a new language re-projects the tenant's products.
            // Synonyms, stop words and typo rules apply at query time, at once.
            let reindex = old.language != settings.language
            let record = try await services.store.putSettings(
                tenant: principal.tenant, body: JSONWriter.string(settings.json), reindex: reindex, actor: principal.clientID)
            services.tenants.setSettings(principal.tenant, settings, generation: record.generation)
            services.changesCommitted()
            guard case .object(var o) = settings.json else { return JSONResponse.make(settings.json) }
            o["seq"] = .int(record.seq)
            return JSONResponse.make(.object(o))
        }
    }
}
