import AlmanacCore
import AlmanacTestSupport
import Foundation
import Testing

@testable import AlmanacAuth

/// Cross-checks with PyJWT (`scripts/jwt_interop.py`), when python3 can import `jwt` and
/// `cryptography` (`pip install pyjwt cryptography`); skipped otherwise.
@Suite("ES256 interop with PyJWT", .enabled(if: PyJWT.isAvailable, "python3 with pyjwt and cryptography not found"))
struct JWTInteropTests {
    @Test func ourTokenVerifiesInPyJWT() throws {
        let f = try JWTFixture()
        let now = JWTVerifier.systemClock()
        let claims = f.claims([("iat", .int(Int64(now))), ("nbf", .int(Int64(now))), ("exp", .int(Int64(now) + 300))])
        let token = try f.signer.sign(claims)
        let dir = try PrivateDirectory()
        let tokenFile = try dir.write("token", token)
        let pemFile = try dir.write("public.pem", try f.key.publicKey.pemRepresentation())
        let jwksFile = try dir.write("jwks.json", JWKS.keySet([(kid: f.kid, key: f.key.publicKey)]).jsonString)

        let result = try PyJWT.run(["verify", tokenFile, pemFile, jwksFile, JWTFixture.issuer, JWTFixture.audience])
        #expect(result.status == 0, "\(result.stderr)")
        let decoded = try JSONParser.parse(result.stdout)
        #expect(decoded.objectValue == claims)
    }

    @Test func pyJWTTokenVerifiesHere() throws {
        let f = try JWTFixture()
        let dir = try PrivateDirectory()
        let keyFile = try dir.write("private.pem", try f.key.pemRepresentation())
        let claimsFile = try dir.write("claims.json", JSONValue.object(f.claims()).jsonString)

        let result = try PyJWT.run(["sign", keyFile, f.kid, claimsFile])
        #expect(result.status == 0, "\(result.stderr)")
        let token = result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let verified = try f.verify(token)
        #expect(verified.kid == f.kid)
        #expect(verified.claims == f.claims())
        // And a PyJWT token whose payload we alter is still refused.
        let parts = token.jwtParts
        let forged = Base64URL.encode(JSONWriter.encode(.object(f.claims([("scope", "admin")]))))
        f.expectRefused([parts[0], forged, parts[2]].joined(separator: "."), .badSignature)
    }
}
