import AlmanacApp
import AlmanacAuth
import AlmanacCore
import AlmanacStore
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Logging

/// `POST /v1/auth/token` (no bearer token) and the admin routes for clients and keys.
struct AuthRoutes {
    let services: AlmanacServices

    /// The token endpoint's body limit: a token request is a few hundred bytes.
    static let tokenBodyLimit = 16 << 10

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
            let (name, scopes) = try Self.clientRequest(body)
            let created = try await services.tokens.clients.create(tenant: principal.tenant, name: name, scopes: scopes)
            context.logger.notice(
                "client created",
                metadata: ["new_client_id": "\(created.clientID)", "scopes": "\(created.scopes.map(\.rawValue).joined(separator: " "))"])
            return JSONResponse.make(
                [
                    "client_id": .string(created.clientID), "client_secret": .string(created.clientSecret),
                    "tenant": .string(created.tenant), "name": .string(created.name),
                    "scopes": .array(created.scopes.map { .string($0.rawValue) }),
                ], status: .created, headers: [(.cacheControl, "no-store"), (.pragma, "no-cache")])
        }
        group.get("clients") { _, context in
            let principal = try context.require(Scope.admin)
            let clients = try await services.tokens.clients.list(tenant: principal.tenant)
            return JSONResponse.make(["clients": .array(clients.map(Self.clientJSON))], headers: [(.cacheControl, "no-store")])
        }
        group.delete("clients/{id}") { _, context in
            let principal = try context.require(Scope.admin)
            let id = try context.pathParameter("id")
            guard try await services.tokens.revoke(clientID: id, tenant: principal.tenant) else {
                throw AlmanacError.notFound("no client '\(id.prefix(64))' in this tenant")
            }
            return JSONResponse.make(["client_id": .string(id), "revoked": true])
        }
        group.post("keys/rotate") { _, context in
            let principal = try context.require(Scope.admin)
            let tokens = services.tokens
            let previous = tokens.keyring.signerKid(tenant: principal.tenant)
            let kid = try await tokens.keyring.rotate(tenant: principal.tenant, retireOldAfter: tokens.keyRetirementSeconds)
            context.logger.notice("signing key rotated", metadata: ["kid": "\(kid)", "previous_kid": "\(previous ?? "-")"])
            var o = JSONObject()
            o["kid"] = .string(kid)
            o["tenant"] = .string(principal.tenant)
            o["previous_kid"] = previous.map { .string($0) } ?? .null
            o["previous_verifies_for_seconds"] = previous == nil ? .null : .int(Int64(tokens.keyRetirementSeconds))
            return JSONResponse.make(.object(o))
        }
    }

    /// `{"name": "...", "scopes": ["..."]}` (scopes may also be one space-separated string).
    static func clientRequest(_ body: JSONValue) throws -> (name: String, scopes: [Scope]) {
        guard case .object(let o) = body else { throw AlmanacError(.validation, "body must be a JSON object") }
        for entry in o where entry.key != "name" && entry.key != "scopes" {
            throw AlmanacError.validation([.init(field: entry.key, message: "unknown field")])
        }
        guard let name = o["name"]?.stringValue else {
            throw AlmanacError.validation([.init(field: "name", message: "required (a string)")])
        }
        let scopes: [Scope]
        switch o["scopes"] {
        case .array(let items)?:
            scopes = try items.map { item in
                guard let s = item.stringValue else {
                    throw AlmanacError.validation([.init(field: "scopes", message: "must be an array of strings")])
                }
                return try Scope(validating: s)
            }
        case .string(let s)?: scopes = try Scope.parse(s)
        default: throw AlmanacError.validation([.init(field: "scopes", message: "required (an array of scopes)")])
        }
        return (name, scopes)
    }

    /// A client as listed: never the secret or its hash.
    static func clientJSON(_ c: ClientRecord) -> JSONValue {
        var o = JSONObject()
        o["client_id"] = .string(c.id)
        o["tenant"] = .string(c.tenant)
        o["name"] = .string(c.name)
        o["scopes"] = .array(c.scopes.map { .string($0) })
        o["created_at"] = .string(c.createdAt.rfc3339)
        o["revoked_at"] = c.revokedAt.map { .string($0.rfc3339) } ?? .null
        return .object(o)
    }
}

// MARK: - The token endpoint

extension AuthRoutes {
    /// RFC 6749 §4.4 with §5.2 errors. Parameters come as `application/x-www-form-urlencoded`
    /// (the RFC's encoding; also assumed when there is no Content-Type) or as a JSON object
    /// of strings. The client authenticates with `client_id` + `client_secret` in the body
    /// or with HTTP Basic (RFC 6749 §2.3.1), not both.
    func token(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let fields: [String: String]
        switch await Self.tokenParameters(request) {
        case .success(let parsed): fields = parsed
        case .failure(let error): return oauthError(error)
        }
        var clientID = fields["client_id"]
        var clientSecret = fields["client_secret"]
        if let auth = request.headers[.authorization] {
            guard auth.count > 6, auth.prefix(6).lowercased() == "basic " else {
                return oauthError(.init("invalid_client", "the token endpoint takes HTTP Basic client authentication only", status: 401))
            }
            guard let (id, secret) = Self.basicCredentials(String(auth.dropFirst(6))) else {
                return oauthError(.init("invalid_client", "malformed HTTP Basic credentials", status: 401))
            }
            if clientSecret != nil {
                return oauthError(.init("invalid_request", "use one client authentication method: HTTP Basic or client_secret", status: 400))
            }
            if let bodyID = clientID, bodyID != id {
                return oauthError(.init("invalid_request", "client_id differs from the HTTP Basic user", status: 400))
            }
            clientID = id
            clientSecret = secret
        }
        do {
            let issued = try await services.tokens.issue(
                grantType: fields["grant_type"], clientID: clientID, clientSecret: clientSecret, scope: fields["scope"],
                remoteAddress: context.remoteAddress)
            let body: JSONValue = [
                "access_token": .string(issued.accessToken), "token_type": "Bearer",
                "expires_in": .int(Int64(issued.expiresIn)), "scope": .string(issued.scope),
            ]
            return JSONResponse.make(body, headers: [(.cacheControl, "no-store"), (.pragma, "no-cache")])
        } catch {
            return oauthError(error)
        }
    }

    /// The request's parameters, or the §5.2 error to answer. Repeated parameters are an
    /// error (RFC 6749 §3.2), values must be strings, and unknown parameters are ignored.
    static func tokenParameters(_ request: Request) async -> Result<[String: String], TokenService.OAuthError> {
        var request = request
        let bytes: [UInt8]
        do {
            bytes = Array(try await request.collectBody(upTo: tokenBodyLimit).readableBytesView)
        } catch {
            return .failure(.init("invalid_request", "the request body is over the \(tokenBodyLimit >> 10) KiB limit", status: 413))
        }
        let contentType = request.headers[.contentType]?.lowercased()
            .split(separator: ";").first.map { String($0).trimmingCharacters(in: " ") } ?? ""
        var fields: [String: String] = [:]
        switch contentType {
        case "application/json":
            guard case .object(let o)? = try? JSONParser.parse(bytes) else {
                return .failure(.init("invalid_request", "the body is not a JSON object (duplicate names are refused)", status: 400))
            }
            for entry in o {
                guard let s = entry.value.stringValue else {
                    return .failure(.init("invalid_request", "parameter \(safe(entry.key)) must be a string", status: 400))
                }
                fields[entry.key] = s
            }
        case "application/x-www-form-urlencoded", "":
            guard let text = String(validating: bytes, as: UTF8.self) else {
                return .failure(.init("invalid_request", "the body is not valid UTF-8", status: 400))
            }
            do {
                for pair in try QueryParameters(query: text).pairs {
                    if fields[pair.name] != nil {
                        return .failure(.init("invalid_request", "parameter \(safe(pair.name)) is repeated", status: 400))
                    }
                    fields[pair.name] = pair.value
                }
            } catch {
                return .failure(.init("invalid_request", "the form body is malformed", status: 400))
            }
        default:
            return .failure(
                .init("invalid_request", "send application/x-www-form-urlencoded or application/json", status: 415))
        }
        return .success(fields)
    }

    /// RFC 6749 §2.3.1: base64 of `form-urlencoded(id) ":" form-urlencoded(secret)`.
    static func basicCredentials(_ encoded: String) -> (String, String)? {
        guard let decoded = Data(base64Encoded: encoded.trimmingCharacters(in: " ")),
            let text = String(data: decoded, encoding: .utf8), let colon = text.firstIndex(of: ":")
        else { return nil }
        guard let id = try? QueryParameters.decode(text[..<colon], what: "client id"),
            let secret = try? QueryParameters.decode(text[text.index(after: colon)...], what: "client secret")
        else { return nil }
        return (id, secret)
    }

    /// A parameter name as it may appear in an error description.
    static func safe(_ name: String) -> String {
        "'" + String(name.unicodeScalars.prefix(40).filter { $0.isASCII && $0.value >= 0x20 && $0 != "\"" && $0 != "\\" && $0 != "'" }.map(Character.init)) + "'"
    }

    /// An RFC 6749 §5.2 error body, never cached; a 401 carries a Basic challenge (the
    /// client may authenticate with HTTP Basic).
    func oauthError(_ error: TokenService.OAuthError) -> Response {
        var headers: [(HTTPField.Name, String)] = [(.cacheControl, "no-store"), (.pragma, "no-cache")]
        if let retry = error.retryAfter { headers.append((.retryAfter, String(retry))) }
        if error.status == 401 { headers.append((.wwwAuthenticate, "Basic realm=\"almanac\", charset=\"UTF-8\"")) }
        return JSONResponse.make(
            ["error": .string(error.error), "error_description": .string(error.description)],
            status: HTTPResponse.Status(code: error.status), headers: headers)
    }
}

extension HTTPField.Name {
    static let pragma = HTTPField.Name("Pragma")!
}
