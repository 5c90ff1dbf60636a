public import AlmanacCore

/// JSON Web Keys (RFC 7517) for the ES256 public keys, as served at a JWKS endpoint.
public enum JWKS {
    /// `{"kty":"EC","crv":"P-256","x":…,"y":…,"kid":…,"alg":"ES256","use":"sig"}`.
    public static func jwk(for key: P256PublicKey, kid: String) -> JSONValue {
        .object(JSONObject([
            ("kty", "EC"),
            ("crv", "P-256"),
            ("x", .string(Base64URL.encode(key.x))),
            ("y", .string(Base64URL.encode(key.y))),
            ("kid", .string(kid)),
            ("alg", "ES256"),
            ("use", "sig"),
        ]))
    }

    /// `{"keys":[…]}` in the order given.
    public static func keySet(_ keys: [(kid: String, key: P256PublicKey)]) -> JSONValue {
        .object(JSONObject([("keys", .array(keys.map { jwk(for: $0.key, kid: $0.kid) }))]))
    }

    /// The key set as JSON bytes (deterministic, via `JSONWriter`).
    public static func render(_ keys: [(kid: String, key: P256PublicKey)]) -> [UInt8] {
        JSONWriter.encode(keySet(keys))
    }

    /// Reads an EC P-256 JWK back into a key (for clients and tests). Refuses other key
    /// types and curves, an `alg` other than ES256, private members (`d`), and points not
    /// on the curve.
    public static func publicKey(from jwk: JSONObject) throws(CryptoError) -> P256PublicKey {
        guard jwk["kty"] == .string("EC"), jwk["crv"] == .string("P-256") else {
            throw CryptoError(.invalidFormat, "JWK is not an EC P-256 key")
        }
        if let alg = jwk["alg"], alg != .string("ES256") {
            throw CryptoError(.invalidFormat, "JWK alg is not ES256")
        }
        guard jwk["d"] == nil else { throw CryptoError(.invalidFormat, "JWK holds a private key") }
        guard let x = jwk["x"]?.stringValue.flatMap({ Base64URL.decode($0) }),
            let y = jwk["y"]?.stringValue.flatMap({ Base64URL.decode($0) })
        else { throw CryptoError(.invalidFormat, "JWK x or y is not base64url") }
        return try P256PublicKey(x: x, y: y)
    }
}
