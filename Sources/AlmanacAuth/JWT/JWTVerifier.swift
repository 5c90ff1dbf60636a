public import AlmanacCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Verifies ES256 JWTs following RFC 8725 (JWT Best Current Practices).
///
/// The checks run in this order, and each refusal is a `JWTError` with its reason:
///
/// 1. Size: the token at most `maxTokenBytes` (default 8 KiB), the encoded header at most
///    `maxHeaderBytes` (default 1 KiB), checked before anything is decoded.
/// 2. Shape: compact serialization only, exactly three dot-separated parts, strict
///    base64url (no padding, whitespace or other characters); the header and the payload
///    JSON objects (strict parser: duplicate keys refused, so there is no "which `alg`
///    wins" ambiguity).
/// 3. Header: `alg` exactly `ES256` (the one algorithm this verifier accepts, so no
///    `none`, no `HS256` keyed with a public key, no `RS256`, no case variants); `crit`
///    refused; `typ`, if present, exactly `JWT`; `kid` a non-empty string. Key-carrying
///    headers (`jwk`, `jku`, `x5u`, `x5c`) are ignored: keys come only from the resolver.
/// 4. Signature part: decodes to exactly 64 bytes (`r || s`).
/// 5. Key: the caller's resolver maps `(kid, unverifiedClaims)` to a public key.
/// 6. Signature: ECDSA P-256/SHA-256 over the received `header.payload` bytes.
/// 7. Claims, only now: `exp` required; `exp`, `nbf`, `iat` against the clock with
///    `leeway`; `iss` equal to `issuer`; `aud` equal to, or an array containing, `audience`.
///
/// Why the payload is decoded before the key is known: keys are per tenant, and the
/// tenant travels in the payload. The resolver gets the unverified claims so it can
/// search only that tenant's keys, which is what stops a key of tenant A from vouching
/// for a token that claims tenant B: whatever the payload says, the signature must come
/// from a key the resolver returned for that tenant, and the verified token's `tenant`
/// is then the one that chose the key. Nothing else is read from the unverified claims:
/// expiry, issuer, audience and scopes are checked and exposed only after the signature
/// verifies. Decoding untrusted JSON first is bounded (strict parser, at most 8 KiB, depth
/// limit) and is the same work an attacker could cause with a well-formed bad signature.
/// A resolver must therefore treat the tenant as a lookup key only: a platform-operator
/// token (`tenant` `*`) must resolve to platform keys, never to a tenant's.
///
/// Use `verify(_:resolveKey:)` for a synchronous key lookup, or the two steps
/// `decode(_:)` then `verify(_:key:)` when finding the key needs `await`.
public struct JWTVerifier: Sendable {
    /// Seconds since 1970-01-01T00:00:00Z.
    public typealias Clock = @Sendable () -> Double

    public static let defaultMaxTokenBytes = 8 * 1024
    public static let defaultMaxHeaderBytes = 1024
    public static let maxLeeway: Double = 60

    public let issuer: String
    public let audience: String
    /// Clock skew tolerated on `exp`, `nbf` and `iat`, in seconds: 0...60.
    public let leeway: Double
    public let maxTokenBytes: Int
    public let maxHeaderBytes: Int
    let clock: Clock

    /// - Parameters:
    ///   - leeway: clamped to 0...60 seconds (RFC 8725 leaves it to the application; more
    ///     than a minute would only hide broken clocks).
    ///   - clock: the time source; inject a fixed one in tests.
    public init(
        issuer: String, audience: String, leeway: Double = 60,
        maxTokenBytes: Int = defaultMaxTokenBytes, maxHeaderBytes: Int = defaultMaxHeaderBytes,
        clock: @escaping Clock = JWTVerifier.systemClock
    ) {
        self.issuer = issuer
        self.audience = audience
        self.leeway = leeway.isNaN ? 0 : min(max(leeway, 0), Self.maxLeeway)
        self.maxTokenBytes = max(maxTokenBytes, 16)
        self.maxHeaderBytes = max(maxHeaderBytes, 16)
        self.clock = clock
    }

    /// The system's real-time clock.
    public static let systemClock: Clock = {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    /// Decodes, verifies and validates `token` in one call. `resolveKey` gets the header's
    /// `kid` and the UNVERIFIED claims (use them only to pick the tenant's key set) and
    /// returns the key, or nil for an unknown kid.
    public func verify(
        _ token: String, resolveKey: (_ kid: String, _ unverifiedClaims: JSONObject) -> P256PublicKey?
    ) throws(JWTError) -> VerifiedJWT {
        let unverified = try decode(token)
        return try verify(unverified, key: resolveKey(unverified.kid, unverified.unverifiedClaims))
    }

    /// Steps 1-4: size, shape and header checks. The result is not trusted yet.
    public func decode(_ token: String) throws(JWTError) -> UnverifiedJWT {
        let bytes = Array(token.utf8)
        guard bytes.count <= maxTokenBytes else { throw JWTError(.tokenTooLarge, "token is too large") }
        let parts = bytes.split(separator: UInt8(ascii: "."), maxSplits: 3, omittingEmptySubsequences: false)
        guard parts.count == 3 else { throw JWTError.malformedToken }
        let (headerPart, payloadPart, signaturePart) = (parts[0], parts[1], parts[2])
        guard !headerPart.isEmpty, !payloadPart.isEmpty else { throw JWTError.malformedToken }
        guard headerPart.count <= maxHeaderBytes else { throw JWTError(.headerTooLarge, "token header is too large") }

        guard let header = Self.decodeObject(headerPart, maxDepth: 8) else {
            throw JWTError.malformed("token header is not a base64url JSON object")
        }
        // Exactly "ES256": a byte-for-byte comparison, so "none", "HS256", "es256" all fail here.
        guard case .string(let alg)? = header["alg"], alg == "ES256" else {
            throw JWTError(.unsupportedAlgorithm, "token algorithm is not supported (only ES256)")
        }
        guard !header.contains("crit") else {
            throw JWTError(.unsupportedHeader, "token has critical header parameters, which are not supported")
        }
        if let typ = header["typ"] {
            guard typ == .string("JWT") else { throw JWTError(.unsupportedHeader, "token type is not JWT") }
        }
        guard case .string(let kid)? = header["kid"], !kid.isEmpty else {
            throw JWTError(.missingKid, "token header has no key id (kid)")
        }
        guard let claims = Self.decodeObject(payloadPart, maxDepth: 32) else {
            throw JWTError.malformed("token payload is not a base64url JSON object")
        }
        guard let signature = Base64URL.decode(bytes: signaturePart), signature.count == 64 else {
            throw JWTError.malformed("token signature is not a 64-byte ES256 signature")
        }
        let signingInput = Array(bytes[..<(headerPart.count + 1 + payloadPart.count)])
        return UnverifiedJWT(kid: kid, header: header, unverifiedClaims: claims, signingInput: signingInput, signature: signature)
    }

    /// Steps 5-7: `key` is what the caller resolved for `unverified.kid` (nil: unknown).
    public func verify(_ unverified: UnverifiedJWT, key: P256PublicKey?) throws(JWTError) -> VerifiedJWT {
        guard let key else { throw JWTError(.unknownKey, "token is signed with an unknown key") }
        guard key.verify(signature: unverified.signature, message: unverified.signingInput) else {
            throw JWTError(.badSignature, "token signature is invalid")
        }
        try validateClaims(unverified.unverifiedClaims)
        return VerifiedJWT(kid: unverified.kid, header: unverified.header, claims: unverified.unverifiedClaims)
    }

    private static func decodeObject(_ part: ArraySlice<UInt8>, maxDepth: Int) -> JSONObject? {
        guard let json = Base64URL.decode(bytes: part),
            let value = try? JSONParser.parse(json, maxDepth: maxDepth)
        else { return nil }
        return value.objectValue
    }
}
