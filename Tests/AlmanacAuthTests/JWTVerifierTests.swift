import AlmanacCore
import Testing

@testable import AlmanacAuth

@Suite("JWT signing and verification")
struct JWTVerifierTests {
    let f: JWTFixture

    init() throws { f = try JWTFixture() }

    @Test func validTokenVerifies() throws {
        let token = try f.token()
        #expect(token.jwtParts.count == 3)
        let verified = try f.verify(token)
        #expect(verified.kid == f.kid)
        #expect(verified.tenant == "acme")
        #expect(verified.scopes == ["catalogue:read", "events:read"])
        #expect(verified.clientID == "client-7")
        #expect(verified.jwtID == "6f1c2a")
        #expect(verified.subject == "client-7")
        #expect(verified.issuer == JWTFixture.issuer)
        #expect(verified.audiences == [JWTFixture.audience])
        #expect(verified.expiresAt == JWTFixture.now + 300)
        #expect(verified.claims == f.claims())
    }

    @Test func signerHeaderIsExact() throws {
        let header = try #require(Base64URL.decode(try f.token().jwtParts[0]))
        #expect(String(decoding: header, as: UTF8.self) == #"{"alg":"ES256","typ":"JWT","kid":"tenant-a-2026-01"}"#)
        // Deterministic payload bytes for equal claims.
        #expect(try f.token().jwtParts[1] == f.token().jwtParts[1])
    }

    @Test func audienceArrayAndLeewayEdges() throws {
        _ = try f.verify(try f.token([("aud", ["other", .string(JWTFixture.audience)])]))
        // Within leeway: expired 59 s ago, nbf and iat 59 s ahead.
        _ = try f.verify(try f.token([("exp", .int(Int64(JWTFixture.now) - 59))]))
        _ = try f.verify(try f.token([("nbf", .int(Int64(JWTFixture.now) + 59)), ("iat", .int(Int64(JWTFixture.now) + 59))]))
        // Fractional NumericDate and absent nbf/iat are fine.
        _ = try f.verify(try f.token([("exp", .double(JWTFixture.now + 0.5)), ("nbf", nil), ("iat", nil)]))
    }

    @Test func twoStepAPIExposesOnlyTheKeySelectionData() throws {
        let unverified = try f.verifier.decode(try f.token())
        #expect(unverified.kid == f.kid)
        #expect(unverified.unverifiedTenant == "acme")
        let verified = try f.verifier.verify(unverified, key: f.key.publicKey)
        #expect(verified.tenant == "acme")
    }

    @Test func leewayIsCappedAtSixtySeconds() throws {
        let lax = JWTVerifier(issuer: "i", audience: "a", leeway: 3600)
        #expect(lax.leeway == 60)
        #expect(JWTVerifier(issuer: "i", audience: "a", leeway: -5).leeway == 0)
        let strict = try JWTFixture(leeway: 0)
        strict.expectRefused(try strict.token([("exp", .int(Int64(JWTFixture.now)))]), .expired)
        _ = try strict.verify(try strict.token([("exp", .int(Int64(JWTFixture.now) + 1))]))
    }

    @Test func verifierUsesTheSystemClockByDefault() throws {
        let verifier = JWTVerifier(issuer: JWTFixture.issuer, audience: JWTFixture.audience)
        let now = JWTVerifier.systemClock()
        #expect(now > 1_700_000_000)
        let fresh = try f.signer.sign(f.claims([("iat", .double(now)), ("nbf", nil), ("exp", .double(now + 60))]))
        _ = try verifier.verify(fresh) { _, _ in f.key.publicKey }
        let old = try f.token()  // exp in 2027
        #expect(throws: JWTError.self) { try verifier.verify(old) { _, _ in f.key.publicKey } }
    }

    @Test func errorsAreClientSafe() throws {
        let token = try f.token([("iss", "https://evil.test")])
        let error = #expect(throws: JWTError.self) { try f.verify(token) }
        #expect(error?.reason == .wrongIssuer)
        #expect(error.map { !$0.message.contains("evil") && !$0.message.contains(JWTFixture.issuer) } == true)
        #expect(error?.almanacError.code == .unauthorized)
        #expect(JWTError.Reason.badSignature.description == "bad_signature")
    }
}

@Suite("JWT attacks are refused")
struct JWTAttackTests {
    let f: JWTFixture

    init() throws { f = try JWTFixture() }

    @Test func algNone() throws {
        let header = JSONObject([("alg", "none"), ("typ", "JWT"), ("kid", .string(f.kid))])
        let unsigned = Base64URL.encode(JSONWriter.encode(.object(header))) + "."
            + Base64URL.encode(JSONWriter.encode(.object(f.claims()))) + "."
        f.expectRefused(unsigned, .unsupportedAlgorithm)
        // With a signature of the right size attached, still refused on alg.
        let parts = try f.token().jwtParts
        f.expectRefused(String(unsigned.dropLast()) + "." + parts[2], .unsupportedAlgorithm)
        for variant in ["None", "NONE", "nOnE"] {
            let h = JSONObject([("alg", .string(variant)), ("kid", .string(f.kid))])
            f.expectRefused(try f.token(header: h, claims: f.claims()), .unsupportedAlgorithm)
        }
    }

    @Test func hs256KeyedWithThePublicKeyPEM() throws {
        // The classic confusion: an HMAC "signed" with the verifier's public key as secret.
        let header = JSONObject([("alg", "HS256"), ("typ", "JWT"), ("kid", .string(f.kid))])
        let input = Base64URL.encode(JSONWriter.encode(.object(header))) + "."
            + Base64URL.encode(JSONWriter.encode(.object(f.claims())))
        let secret = Array(try f.key.publicKey.pemRepresentation().utf8)
        let mac = try HMACSHA256.authenticate(key: secret, message: Array(input.utf8))
        f.expectRefused(input + "." + Base64URL.encode(mac), .unsupportedAlgorithm)
        // Even padded out to 64 bytes, HS256 is refused before any key is used.
        f.expectRefused(input + "." + Base64URL.encode(mac + mac), .unsupportedAlgorithm)
    }

    @Test func rs256Header() throws {
        let header = JSONObject([("alg", "RS256"), ("typ", "JWT"), ("kid", .string(f.kid))])
        let input = Base64URL.encode(JSONWriter.encode(.object(header))) + "."
            + Base64URL.encode(JSONWriter.encode(.object(f.claims())))
        f.expectRefused(input + "." + Base64URL.encode(try SecureRandom.bytes(256)), .unsupportedAlgorithm)
    }

    @Test func algCaseVariantsAndOtherAlgorithms() throws {
        for alg: JSONValue in ["es256", "Es256", "ES256 ", "ES384", "ES512", "PS256", "EdDSA", "", 256, .null, ["ES256"]] {
            let header = JSONObject([("alg", alg), ("kid", .string(f.kid))])
            f.expectRefused(try f.token(header: header, claims: f.claims()), .unsupportedAlgorithm)
        }
        let noAlg = JSONObject([("typ", "JWT"), ("kid", .string(f.kid))])
        f.expectRefused(try f.token(header: noAlg, claims: f.claims()), .unsupportedAlgorithm)
    }

    @Test func critAndTypHeaders() throws {
        var header = f.standardHeader
        header["crit"] = ["exp"]
        f.expectRefused(try f.token(header: header, claims: f.claims()), .unsupportedHeader)
        header = f.standardHeader
        header["typ"] = "at+jwt"
        f.expectRefused(try f.token(header: header, claims: f.claims()), .unsupportedHeader)
        header["typ"] = nil
        _ = try f.verify(try f.token(header: header, claims: f.claims()))  // typ is optional
    }

    @Test func expired() throws {
        f.expectRefused(try f.token([("exp", .int(Int64(JWTFixture.now) - 61))]), .expired)
        f.expectRefused(try f.token([("exp", .int(Int64(JWTFixture.now) - 60))]), .expired)
    }

    @Test func notBeforeInTheFutureBeyondLeeway() throws {
        f.expectRefused(try f.token([("nbf", .int(Int64(JWTFixture.now) + 61))]), .notYetValid)
    }

    @Test func issuedInTheFutureBeyondLeeway() throws {
        f.expectRefused(try f.token([("iat", .int(Int64(JWTFixture.now) + 61)), ("nbf", nil)]), .issuedInFuture)
    }

    @Test func missingKid() throws {
        let header = JSONObject([("alg", "ES256"), ("typ", "JWT")])
        f.expectRefused(try f.token(header: header, claims: f.claims()), .missingKid)
        for kid: JSONValue in ["", 7, .null] {
            let h = JSONObject([("alg", "ES256"), ("kid", kid)])
            f.expectRefused(try f.token(header: h, claims: f.claims()), .missingKid)
        }
    }

    @Test func unknownKid() throws {
        var header = f.standardHeader
        header["kid"] = "someone-else"
        f.expectRefused(try f.token(header: header, claims: f.claims()), .unknownKey)
        // A known kid claimed for another tenant: the resolver refuses it.
        f.expectRefused(try f.token([("tenant", "globex")]), .unknownKey)
    }

    @Test func tamperedPayload() throws {
        let parts = try f.token().jwtParts
        let forged = Base64URL.encode(JSONWriter.encode(.object(f.claims([("scope", "admin")]))))
        f.expectRefused([parts[0], forged, parts[2]].joined(separator: "."), .badSignature)
    }

    @Test func tamperedHeader() throws {
        let parts = try f.token().jwtParts
        var header = f.standardHeader
        header["x5u"] = "https://evil.test/keys"
        let forged = Base64URL.encode(JSONWriter.encode(.object(header)))
        f.expectRefused([forged, parts[1], parts[2]].joined(separator: "."), .badSignature)
    }

    @Test func signatureOfAnotherToken() throws {
        let a = try f.token([("jti", "a")]).jwtParts
        let b = try f.token([("jti", "b")]).jwtParts
        f.expectRefused([a[0], a[1], b[2]].joined(separator: "."), .badSignature)
    }

    @Test func zeroAndOutOfRangeSignatures() throws {
        let parts = try f.token().jwtParts
        let input = parts[0] + "." + parts[1]
        let zero = [UInt8](repeating: 0, count: 64)
        let ones = [UInt8](repeating: 0xFF, count: 64)
        f.expectRefused(input + "." + Base64URL.encode(zero), .badSignature)
        f.expectRefused(input + "." + Base64URL.encode(ones), .badSignature)
    }

    @Test func signedByAnotherKey() throws {
        let other = try P256PrivateKey()
        f.expectRefused(try f.token(header: f.standardHeader, claims: f.claims(), signingKey: other), .badSignature)
    }

    @Test func oversizedHeader() throws {
        var header = f.standardHeader
        header["padding"] = .string(String(repeating: "x", count: 1024))
        f.expectRefused(try f.token(header: header, claims: f.claims()), .headerTooLarge)
    }

    @Test func oversizedToken() throws {
        f.expectRefused(try f.token([("padding", .string(String(repeating: "x", count: 8 * 1024)))]), .tokenTooLarge)
    }

    @Test func garbageStrings() throws {
        let parts = try f.token().jwtParts
        let (h, p, s) = (parts[0], parts[1], parts[2])
        let garbage = [
            "", "garbage", "no-dots-at-all", "\(h)\(p)\(s)",  // no dots
            "\(h).\(p)",  // two parts
            "\(h).\(p).\(s).\(s)", "\(h).\(p).\(s).",  // four parts
            "..", "...", ".\(p).\(s)", "\(h)..\(s)", "\(h).\(p).",  // empty parts
            "\(h)=.\(p).\(s)", "\(h).\(p).\(s)=", "\(h).\(p)!.\(s)", " \(h).\(p).\(s)", "\(h).\(p).\(s)\n",  // non-base64url
            "\(h).\(p).\(String(s.dropLast(2)))",  // signature not 64 bytes
            "\(Base64URL.encode("not json")).\(p).\(s)",  // non-JSON header
            "\(Base64URL.encode("[\"ES256\"]")).\(p).\(s)",  // JSON but not an object
            "\(Base64URL.encode("{\"alg\":\"ES256\",\"alg\":\"none\",\"kid\":\"x\"}")).\(p).\(s)",  // duplicate key
            "\(h).\(Base64URL.encode("not json")).\(s)",  // non-JSON payload
            "\(h).\(Base64URL.encode("42")).\(s)",
        ]
        for token in garbage {
            f.expectRefused(token, .malformed)
        }
    }

    @Test func wrongIssuer() throws {
        f.expectRefused(try f.token([("iss", "https://evil.test")]), .wrongIssuer)
        f.expectRefused(try f.token([("iss", 1)]), .wrongIssuer)
        f.expectRefused(try f.token([("iss", nil)]), .missingClaim)
    }

    @Test func wrongAudience() throws {
        f.expectRefused(try f.token([("aud", "someone-else")]), .wrongAudience)
        f.expectRefused(try f.token([("aud", ["a", "b"])]), .wrongAudience)
        f.expectRefused(try f.token([("aud", [])]), .wrongAudience)
        f.expectRefused(try f.token([("aud", 5)]), .invalidClaim)
        f.expectRefused(try f.token([("aud", nil)]), .missingClaim)
    }

    @Test func missingExp() throws {
        f.expectRefused(try f.token([("exp", nil)]), .missingClaim)
        f.expectRefused(try f.token([("exp", "1900000000")]), .invalidClaim)
        f.expectRefused(try f.token([("nbf", "0")]), .invalidClaim)
    }
}
