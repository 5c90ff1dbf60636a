import AlmanacCore

extension JWTVerifier {
    /// Registered-claim checks (RFC 7519 §4.1), run only after the signature verified.
    func validateClaims(_ claims: JSONObject) throws(JWTError) {
        let exp = try numericDate(claims, "exp", required: true)
        let nbf = try numericDate(claims, "nbf", required: false)
        let iat = try numericDate(claims, "iat", required: false)

        guard let iss = claims["iss"] else { throw JWTError(.missingClaim, "token has no issuer (iss)") }
        guard iss == .string(issuer) else { throw JWTError(.wrongIssuer, "token issuer is not accepted") }

        switch claims["aud"] {
        case nil:
            throw JWTError(.missingClaim, "token has no audience (aud)")
        case .string(let aud)?:
            guard aud == audience else { throw JWTError(.wrongAudience, "token audience is not accepted") }
        case .array(let list)?:
            guard list.allSatisfy({ $0.stringValue != nil }) else {
                throw JWTError(.invalidClaim, "token audience (aud) must be a string or an array of strings")
            }
            guard list.contains(.string(audience)) else { throw JWTError(.wrongAudience, "token audience is not accepted") }
        default:
            throw JWTError(.invalidClaim, "token audience (aud) must be a string or an array of strings")
        }

        let now = clock()
        if let exp, now >= exp + leeway {
            throw JWTError(.expired, "token has expired")
        }
        if let nbf, nbf > now + leeway {
            throw JWTError(.notYetValid, "token is not valid yet")
        }
        if let iat, iat > now + leeway {
            throw JWTError(.issuedInFuture, "token is issued in the future")
        }
    }

    /// A NumericDate claim: a JSON number (integer or not), or nil when absent and optional.
    private func numericDate(_ claims: JSONObject, _ name: String, required: Bool) throws(JWTError) -> Double? {
        guard let value = claims[name] else {
            if required { throw JWTError(.missingClaim, "token has no \(name) claim") }
            return nil
        }
        guard let seconds = value.numberValue, seconds.isFinite else {
            throw JWTError(.invalidClaim, "token \(name) claim is not a number")
        }
        return seconds
    }
}
