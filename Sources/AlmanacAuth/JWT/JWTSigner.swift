public import AlmanacCore

/// Issues ES256 JWTs in compact serialization:
/// `base64url(header) "." base64url(claims) "." base64url(r || s)`.
///
/// The header is always `{"alg":"ES256","typ":"JWT","kid":<kid>}`. Claims are written by
/// `JSONWriter` in the order given, so equal inputs give byte-identical payloads. The
/// signer adds nothing: the caller supplies `iss`, `aud`, `exp`, `iat`, `tenant`, `scope`,
/// `jti`... (`JWTVerifier` requires `exp`, `iss` and `aud`).
public struct JWTSigner: Sendable {
    public let key: P256PrivateKey
    public let kid: String

    public init(key: P256PrivateKey, kid: String) {
        self.key = key
        self.kid = kid
    }

    /// The compact JWS for `claims`.
    public func sign(_ claims: JSONObject) throws(CryptoError) -> String {
        let header = JSONObject([("alg", "ES256"), ("typ", "JWT"), ("kid", .string(kid))])
        let signingInput =
            Base64URL.encode(JSONWriter.encode(.object(header))) + "." + Base64URL.encode(JSONWriter.encode(.object(claims)))
        let signature = try key.sign(Array(signingInput.utf8))
        return signingInput + "." + Base64URL.encode(signature)
    }
}
