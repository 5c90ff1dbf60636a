import COpenSSL

/// An ECDSA P-256 private key for ES256 (RFC 7518 §3.4).
///
/// Import and export as PKCS#8 DER (what the key store seals with `AESGCM`) or as
/// unencrypted PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`, for tests and other tools).
/// Signatures are the JWS form: raw `r || s`, 32 bytes each.
///
/// Thread safety: immutable after `init`; sharing one key between tasks for concurrent
/// signing is safe (see `EVPKey` for the argument), hence `Sendable`.
public final class P256PrivateKey: Sendable {
    let key: EVPKey
    /// The matching public key.
    public let publicKey: P256PublicKey

    /// A fresh random key.
    public convenience init() throws(CryptoError) {
        guard let pkey = almanac_ec_p256_generate() else { throw OpenSSL.error("EVP_PKEY_Q_keygen(EC, P-256)") }
        try self.init(owning: pkey, check: false)
    }

    /// Imports a PKCS#8 `PrivateKeyInfo` (DER). Anything but an EC P-256 key, trailing
    /// bytes, or a key whose public part does not match its private scalar is refused.
    public convenience init(pkcs8DER der: some Collection<UInt8>) throws(CryptoError) {
        let bytes = Array(der)
        guard !bytes.isEmpty, bytes.count <= 4096 else {
            throw CryptoError(.invalidFormat, "PKCS#8 private key has an implausible size (\(bytes.count) bytes)")
        }
        let pkey: OpaquePointer? = withBytes(bytes) { pointer, count -> OpaquePointer? in
            var cursor: UnsafePointer<UInt8>? = pointer
            guard let info = d2i_PKCS8_PRIV_KEY_INFO(nil, &cursor, count) else { return nil }
            defer { PKCS8_PRIV_KEY_INFO_free(info) }
            guard cursor == pointer + count else { return nil }  // trailing garbage
            return EVP_PKCS82PKEY(info)
        }
        guard let pkey else { throw OpenSSL.error(.invalidFormat, "not a PKCS#8 DER private key") }
        try self.init(owning: pkey, check: true)
    }

    /// Imports an unencrypted PEM private key (`BEGIN PRIVATE KEY` or `BEGIN EC PRIVATE KEY`).
    /// Encrypted PEM is refused (no passphrase prompt).
    public convenience init(pem: String) throws(CryptoError) {
        let pkey = P256Support.withReadBIO(Array(pem.utf8)) { bio in
            PEM_read_bio_PrivateKey(bio, nil, refusePassphrase, nil)
        } ?? nil
        guard let pkey else { throw OpenSSL.error(.invalidFormat, "not a PEM private key") }
        try self.init(owning: pkey, check: true)
    }

    /// Takes ownership of `pkey` (freed on every path, including a throw).
    private init(owning pkey: OpaquePointer, check: Bool) throws(CryptoError) {
        // The check: range of the private scalar, public point on the curve, and d*G == Q.
        let (key, x, y) = try P256Support.adopt(
            pkey, check: check ? { EVP_PKEY_check($0) } : nil, failure: "inconsistent EC private key")
        self.key = key
        self.publicKey = try P256PublicKey(x: x, y: y)
    }

    /// The key as PKCS#8 `PrivateKeyInfo` DER. Secret: seal it before storing.
    public func pkcs8DER() throws(CryptoError) -> [UInt8] {
        guard let info = EVP_PKEY2PKCS8(key.pointer) else { throw OpenSSL.error("EVP_PKEY2PKCS8") }
        defer { PKCS8_PRIV_KEY_INFO_free(info) }
        var out: UnsafeMutablePointer<UInt8>? = nil
        let length = i2d_PKCS8_PRIV_KEY_INFO(info, &out)
        guard length > 0, let out else { throw OpenSSL.error("i2d_PKCS8_PRIV_KEY_INFO") }
        defer {
            OPENSSL_cleanse(out, Int(length))
            almanac_openssl_free(out)
        }
        return Array(UnsafeBufferPointer(start: out, count: Int(length)))
    }

    /// The key as unencrypted PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`). Secret.
    public func pemRepresentation() throws(CryptoError) -> String {
        let bytes = try P256Support.writeToMemory("PEM_write_bio_PrivateKey") { bio in
            PEM_write_bio_PrivateKey(bio, key.pointer, nil, nil, 0, nil, nil)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// ECDSA over SHA-256 of `message`: 64 bytes, `r || s` big-endian, each left-padded
    /// to 32 bytes (the JWS ES256 form, not DER). The nonce comes from OpenSSL's DRBG.
    public func sign(_ message: some Collection<UInt8>) throws(CryptoError) -> [UInt8] {
        let input = Array(message)
        guard let md = EVP_MD_CTX_new() else { throw OpenSSL.error("EVP_MD_CTX_new") }
        defer { EVP_MD_CTX_free(md) }
        guard EVP_DigestSignInit(md, nil, EVP_sha256(), nil, key.pointer) == 1 else {
            throw OpenSSL.error("EVP_DigestSignInit")
        }
        var der = [UInt8](repeating: 0, count: 80)  // DER ECDSA-Sig-Value for P-256 is at most 72 bytes
        var length = der.count
        let ok = withBytes(input) { pointer, count in
            EVP_DigestSign(md, &der, &length, pointer, count) == 1
        }
        guard ok, length > 0, length <= der.count else { throw OpenSSL.error("EVP_DigestSign") }
        return try ECDSASignature.raw(fromDER: Array(der[..<length]))
    }
}
