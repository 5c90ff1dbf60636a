import AlmanacStore
import AlmanacAuth
import AlmanacCore
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// `POST /v1/auth/token` (no bearer token) and the admin routes for clients and keys.
struct AuthRoutes {
    let services: AlmanacServices

    func registerTokenEndpoint(on router: Router<AppRequestContext>) {
        router.post("/v1/auth/token") { request, context in
            try await token(request, context)
        }
    }

    func register(on group: RouterGroup<AppRequestContext>) {
        group.post("clients") { request, context in
            let principal = try context.require(Scope.admin)
            var request = request
            let body = try await request.jsonBody(limit: services.configuration.limits.bodyBytes)
            guard case .object(let o) = body else { throw AlmanacError(.validation, "body must be a JSON object") }
            for entry in o where entry.key != "name" && entry.key != "scopes" {
                throw AlmanacError.validation([.init(field: entry.key, message: "unknown field")])
            }
            guard let name = o["name"]?.stringValue else {
                throw AlmanacError.validation([.init(field: "name", message: "required (a string)")])
            }
            let scopes: [String]
            switch o["scopes"] {
            case .array(let items)?:
                scopes = try items.map { item in
                    guard let s = item.stringValue else {
                        throw AlmanacError.validation([.init(field: "scopes", message: "must be an array of strings")])
                    }
                    return s
                }
            case .string(let s)?: scopes = try Scope.parse(s)
            default: throw AlmanacError.validation([.init(field: "scopes", message: "required (an array of scopes)")])
            }
            let created = try await services.clients.create(tenant: principal.tenant, name: name, scopes: scopes)
            return JSONResponse.make(
                [
                    "client_id": .string(created.clientID), "client_secret": .string(created.clientSecret),
                    "tenant": .string(created.tenant), "name": .string(created.name),
                    "scopes": .array(created.scopes.map { .string($0) }),
                ], status: .created, headers: [(.cacheControl, "no-store")])
        }
        group.get("clients") { _, context in
            let principal = try context.require(Scope.admin)
            let clients = try await services.store.clients(tenant: principal.tenant)
            let list: [JSONValue] = clients.map { c in
                var o = JSONObject()
                o["client_id"] = .string(c.id)
                o["tenant"] = .string(c.tenant)
                o["name"] = .string(c.name)
                o["scopes"] = .array(c.scopes.map { .string($0) })
                o["created_at"] = .string(c.createdAt.rfc3339)
                o["revoked_at"] = c.revokedAt.map { .string($0.rfc3339) } ?? .null
                return .object(o)
            }
            return JSONResponse.make(["clients": .array(list)])
        }
        group.delete("clients/{id}") { _, context in
            let principal = try context.require(Scope.admin)
            let id = try context.pathParameter("id")
            guard try await services.store.revokeClient(id: id, tenant: principal.tenant, at: .now()) else {
                throw AlmanacError.notFound("no client '\(id.prefix(64))' in this tenant")
            }
            services.tokens.markRevoked(id)
            return JSONResponse.make(["client_id": .string(id), "revoked": true])
        }
        group.post("keys/rotate") { _, context in
            let principal = try context.require(Scope.admin)
            let kid = try await services.tokens.keyring.rotate(tenant: principal.tenant)
            return JSONResponse.make(["kid": .string(kid), "tenant": .string(principal.tenant)])
        }
    }

    /// RFC 6749 4.4 with section 5.2 errors; client authentication by body or HTTP Basic.
    func token(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        var request = request
        let buffer = try await request.collectBody(limit: 16 << 10)
        let bytes = Array(buffer.readableBytesView)
        var fields: [String: String] = [:]
        let contentType = request.headers[.contentType]?.lowercased() ?? ""
        if contentType.hasPrefix("application/json") {
            let value: JSONValue
            do { value = try JSONParser.parse(bytes) } catch {
                return oauthError(.init("invalid_request", "malformed JSON body: \(error)", status: 400))
            }
            guard case .object(let o) = value else { return oauthError(.init("invalid_request", "body must be a JSON object", status: 400)) }
            for entry in o {
                guard let s = entry.value.stringValue else {
                    return oauthError(.init("invalid_request", "\(entry.key) must be a string", status: 400))
                }
                fields[entry.key] = s
            }
        } else {
            guard let text = String(validating: bytes, as: UTF8.self) else {
                return oauthError(.init("invalid_request", "body is not valid UTF-8", status: 400))
            }
            do {
                for pair in try QueryParameters(query: text).pairs {
                    if fields[pair.name] != nil {
                        return oauthError(.init("invalid_request", "parameter \(pair.name) is repeated", status: 400))
                    }
                    fields[pair.name] = pair.value
                }
            } catch {
                return oauthError(.init("invalid_request", error.detail, status: 400))
            }
        }
        var clientID = fields["client_id"]
        var clientSecret = fields["client_secret"]
        if let auth = request.headers[.authorization], auth.lowercased().hasPrefix("basic ") {
            guard let decoded = Data(base64Encoded: String(auth.dropFirst(6))), let text = String(data: decoded, encoding: .utf8),
                let colon = text.firstIndex(of: ":")
            else { return oauthError(.init("invalid_client", "malformed Basic credentials", status: 401)) }
            clientID = String(text[..<colon]).removingPercentEncoding
            clientSecret = String(text[text.index(after: colon)...]).removingPercentEncoding
        }
        do {
            let issued = try await services.tokens.issue(
                grantType: fields["grant_type"], clientID: clientID, clientSecret: clientSecret, scope: fields["scope"],
                remoteAddress: context.remoteAddress)
            let body: JSONValue = [
                "access_token": .string(issued.accessToken), "token_type": "Bearer",
                "expires_in": .int(Int64(issued.expiresIn)), "scope": .string(issued.scope),
            ]
            return JSONResponse.make(body, headers: [(.cacheControl, "no-store"), (HTTPField.Name("Pragma")!, "no-cache")])
        } catch {
            return oauthError(error)
        }
    }

    func oauthError(_ error: TokenService.OAuthError) -> Response {
        var headers: [(HTTPField.Name, String)] = [(.cacheControl, "no-store"), (HTTPField.Name("Pragma")!, "no-cache")]
        if let retry = error.retryAfter { headers.append((.retryAfter, String(retry))) }
        if error.status == 401 { headers.append((.wwwAuthenticate, "Basic realm=\"almanac\"")) }
        return JSONResponse.make(
            ["error": .string(error.error), "error_description": .string(error.description)],
            status: HTTPResponse.Status(code: error.status), headers: headers)
    }
}
