import AlmanacCore
import Testing

@testable import AlmanacAuth

@Suite("JWK and JWK Set")
struct JWKSTests {
    @Test func jwkShape() throws {
        let key = try P256PrivateKey()
        let jwk = try #require(JWKS.jwk(for: key.publicKey, kid: "k1").objectValue)
        #expect(jwk.keys == ["kty", "crv", "x", "y", "kid", "alg", "use"])
        #expect(jwk["kty"] == "EC" && jwk["crv"] == "P-256" && jwk["alg"] == "ES256" && jwk["use"] == "sig")
        #expect(jwk["kid"] == "k1")
        #expect(jwk["x"]?.stringValue?.count == 43 && jwk["y"]?.stringValue?.count == 43)
        #expect(Base64URL.decode(jwk["x"]?.stringValue ?? "") == key.publicKey.x)
        #expect(try JWKS.publicKey(from: jwk) == key.publicKey)
    }

    @Test func keySetRendering() throws {
        let a = try P256PrivateKey(pem: Fixtures.sec1PrivateKey)
        let rendered = String(decoding: JWKS.render([(kid: "a", key: a.publicKey)]), as: UTF8.self)
        let x = Base64URL.encode(a.publicKey.x)
        let y = Base64URL.encode(a.publicKey.y)
        #expect(
            rendered
                == #"{"keys":[{"kty":"EC","crv":"P-256","x":"\#(x)","y":"\#(y)","kid":"a","alg":"ES256","use":"sig"}]}"#)
        #expect(x == "_ciEfJ9FvykJQZRfiLaUA7O4Jrhz_OwmOQJ4TDJvL5M")
        #expect(JWKS.render([]) == Array(#"{"keys":[]}"#.utf8))
    }

    @Test func jwkParsingRefusesOtherKeys() throws {
        let key = try P256PrivateKey()
        let good = try #require(JWKS.jwk(for: key.publicKey, kid: "k1").objectValue)
        var variants: [JSONObject] = []
        for (name, value) in [("kty", "RSA"), ("crv", "P-384"), ("alg", "HS256"), ("d", "AAAA"), ("x", "not base64!")] as [(String, JSONValue)] {
            var jwk = good
            jwk[name] = value
            variants.append(jwk)
        }
        var offCurve = good
        offCurve["y"] = .string(Base64URL.encode([UInt8](repeating: 1, count: 32)))
        variants.append(offCurve)
        for jwk in variants {
            #expect(throws: CryptoError.self) { try JWKS.publicKey(from: jwk) }
        }
    }
}
