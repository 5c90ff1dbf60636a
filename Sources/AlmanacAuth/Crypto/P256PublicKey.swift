import COpenSSL

/// An ECDSA P-256 public key for verifying ES256 signatures.
///
/// Built from the JWK coordinates (`x`, `y`) or from a SubjectPublicKeyInfo PEM
/// (`-----BEGIN PUBLIC KEY-----`). Every constructor checks that the point is on the
/// curve (and, P-256 having cofactor 1, therefore in the right group), so an invalid-curve
/// point never reaches a verification.
///
/// Thread safety: immutable after `init`; concurrent verification with one key is safe
/// (see `EVPKey` for the argument), hence `Sendable`.
public final class P256PublicKey: Sendable, Equatable {
    let key: EVPKey
    /// Affine x coordinate, 32 bytes big-endian.
    public let x: [UInt8]
    /// Affine y coordinate, 32 bytes big-endian.
    public let y: [UInt8]

    /// From the affine coordinates, 32 bytes each (the JWK `x` and `y`).
    public convenience init(x: some Collection<UInt8>, y: some Collection<UInt8>) throws(CryptoError) {
        let xBytes = Array(x)
        let yBytes = Array(y)
        guard xBytes.count == 32, yBytes.count == 32 else {
            throw CryptoError(.invalidArgument, "P-256 coordinates must be 32 bytes each, got \(xBytes.count) and \(yBytes.count)")
        }
        // SEC 1 uncompressed point: 0x04 || x || y.
        var point = [UInt8(0x04)] + xBytes + yBytes
        guard let ctx = EVP_PKEY_CTX_new_from_name(nil, "EC", nil) else { throw OpenSSL.error("EVP_PKEY_CTX_new_from_name(EC)") }
        defer { EVP_PKEY_CTX_free(ctx) }
        guard EVP_PKEY_fromdata_init(ctx) == 1 else { throw OpenSSL.error("EVP_PKEY_fromdata_init") }
        var group = Array("prime256v1".utf8CString)
        var pkey: OpaquePointer? = nil
        let status: Int32 = group.withUnsafeMutableBufferPointer { groupName in
            point.withUnsafeMutableBufferPointer { pointBytes in
                var params = [
                    // Keys come from the shim (static storage: OSSL_PARAM stores the pointer).
                    OSSL_PARAM_construct_utf8_string(almanac_param_group_name(), groupName.baseAddress, 0),
                    OSSL_PARAM_construct_octet_string(almanac_param_pub_key(), pointBytes.baseAddress, pointBytes.count),
                    OSSL_PARAM_construct_end(),
                ]
                return EVP_PKEY_fromdata(ctx, &pkey, almanac_evp_pkey_public_key_selection(), &params)
            }
        }
        guard status == 1, let pkey else {
            throw OpenSSL.error(.invalidFormat, "not a point on P-256")
        }
        try self.init(owning: pkey, check: true)
    }

    /// From a SubjectPublicKeyInfo PEM (`-----BEGIN PUBLIC KEY-----`) holding a P-256 key.
    public convenience init(pem: String) throws(CryptoError) {
        let pkey = P256Support.withReadBIO(Array(pem.utf8)) { bio in
            PEM_read_bio_PUBKEY(bio, nil, refusePassphrase, nil)
        } ?? nil
        guard let pkey else { throw OpenSSL.error(.invalidFormat, "not a PEM public key") }
        try self.init(owning: pkey, check: true)
    }

    /// Takes ownership of `pkey` (freed on every path, including a throw).
    private init(owning pkey: OpaquePointer, check: Bool) throws(CryptoError) {
        // The check: full public-key validation (on the curve, not infinity, n*Q == infinity).
        let (key, x, y) = try P256Support.adopt(
            pkey, check: check ? { EVP_PKEY_public_check($0) } : nil, failure: "invalid P-256 public key")
        self.key = key
        self.x = x
        self.y = y
    }

    /// `x || y`, 64 bytes.
    public var rawRepresentation: [UInt8] { x + y }

    /// SubjectPublicKeyInfo PEM (`-----BEGIN PUBLIC KEY-----`).
    public func pemRepresentation() throws(CryptoError) -> String {
        let bytes = try P256Support.writeToMemory("PEM_write_bio_PUBKEY") { bio in
            PEM_write_bio_PUBKEY(bio, key.pointer)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// True when `signature` (64 bytes, raw `r || s`) is a valid ECDSA/SHA-256 signature
    /// of `message`. Never throws and never crashes on hostile input: a wrong length, r or
    /// s equal to zero or not below the group order, or any OpenSSL failure is `false`.
    public func verify(signature: some Collection<UInt8>, message: some Collection<UInt8>) -> Bool {
        defer { OpenSSL.clearErrorQueue() }
        guard let der = ECDSASignature.der(fromRaw: Array(signature)) else { return false }
        guard let md = EVP_MD_CTX_new() else { return false }
        defer { EVP_MD_CTX_free(md) }
        guard EVP_DigestVerifyInit(md, nil, EVP_sha256(), nil, key.pointer) == 1 else { return false }
        let input = Array(message)
        return withBytes(der) { sig, sigCount in
            withBytes(input) { msg, msgCount in
                EVP_DigestVerify(md, sig, sigCount, msg, msgCount) == 1
            }
        }
    }

    public static func == (lhs: P256PublicKey, rhs: P256PublicKey) -> Bool {
        lhs.x == rhs.x && lhs.y == rhs.y
    }
}
