import COpenSSL

/// Owns one `EVP_PKEY` and frees it in `deinit`. Internal: callers reach the raw pointer
/// only through `P256PrivateKey` / `P256PublicKey` methods and must not store it.
///
/// Sendability (the proof the `@unchecked` relies on): the wrapped pointer is set once in
/// `init` and never replaced; after construction the key is only passed to OpenSSL calls
/// that read it (`EVP_DigestSignInit`/`EVP_DigestVerifyInit`, which take their own
/// reference with the atomic `EVP_PKEY_up_ref` and build a fresh per-call context;
/// `EVP_PKEY_get_*_param`; the PEM and PKCS#8 encoders). OpenSSL 3 keeps every lazily
/// filled cache inside an `EVP_PKEY` (the provider export cache) under the key's own
/// lock, and keys made by `EVP_PKEY_Q_keygen`, `EVP_PKEY_fromdata` and the decoders are
/// provider-native, so there is no legacy-key export on first use. No `EVP_PKEY_set*`,
/// `EVP_PKEY_assign*` or other mutating call is made on a published key; new code in
/// this folder must keep it that way.
final class EVPKey: @unchecked Sendable {
    let pointer: OpaquePointer

    init(owning pointer: OpaquePointer) {
        self.pointer = pointer
    }

    deinit {
        EVP_PKEY_free(pointer)
    }
}

/// The P-256 group order n (big-endian): ECDSA r and s must lie in [1, n-1].
let p256Order: [UInt8] = [
    0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0xBC, 0xE6, 0xFA, 0xAD, 0xA7, 0x17, 0x9E, 0x84, 0xF3, 0xB9, 0xCA, 0xC2, 0xFC, 0x63, 0x25, 0x51,
]

enum P256Support {
    /// Adopts a key just decoded or generated: owns `pkey` from here on (freed on every
    /// path, including a throw), refuses anything but P-256, runs `check` (an
    /// `EVP_PKEY_*check` on a context for the key, refused with `failure` unless it answers
    /// 1) when given, and answers the key with its public coordinates.
    static func adopt(
        _ pkey: OpaquePointer, check: ((OpaquePointer) -> Int32)?, failure: String
    ) throws(CryptoError) -> (key: EVPKey, x: [UInt8], y: [UInt8]) {
        let owned = EVPKey(owning: pkey)
        // Decoders may leave notes from rejected candidate formats on success; start clean
        // so a later failure reports only its own errors.
        OpenSSL.clearErrorQueue()
        try requireP256(pkey)
        if let check {
            guard let ctx = EVP_PKEY_CTX_new_from_pkey(nil, pkey, nil) else { throw OpenSSL.error("EVP_PKEY_CTX_new_from_pkey") }
            defer { EVP_PKEY_CTX_free(ctx) }
            guard check(ctx) == 1 else { throw OpenSSL.error(.invalidFormat, failure) }
        }
        let (x, y) = try publicCoordinates(pkey)
        return (owned, x, y)
    }

    /// Throws unless `pkey` is an EC key on the named curve P-256 (explicit curve
    /// parameters, other curves and other key types are refused).
    static func requireP256(_ pkey: OpaquePointer) throws(CryptoError) {
        guard EVP_PKEY_is_a(pkey, "EC") == 1 else {
            OpenSSL.clearErrorQueue()
            throw CryptoError(.invalidFormat, "not an EC key (ES256 needs P-256)")
        }
        var name = [CChar](repeating: 0, count: 64)
        var length = 0
        let ok = name.withUnsafeMutableBufferPointer {
            EVP_PKEY_get_group_name(pkey, $0.baseAddress, $0.count, &length) == 1
        }
        let group = ok ? String(decoding: name.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self) : ""
        guard group == "prime256v1" || group == "P-256" else {
            OpenSSL.clearErrorQueue()
            throw CryptoError(.invalidFormat, "EC key is not on P-256 (curve: \(group.isEmpty ? "unnamed" : group))")
        }
    }

    /// The affine public coordinates, 32 bytes each (big-endian, left-padded).
    static func publicCoordinates(_ pkey: OpaquePointer) throws(CryptoError) -> (x: [UInt8], y: [UInt8]) {
        (try coordinate(pkey, OSSL_PKEY_PARAM_EC_PUB_X), try coordinate(pkey, OSSL_PKEY_PARAM_EC_PUB_Y))
    }

    private static func coordinate(_ pkey: OpaquePointer, _ name: String) throws(CryptoError) -> [UInt8] {
        var bn: OpaquePointer? = nil
        guard EVP_PKEY_get_bn_param(pkey, name, &bn) == 1, let bn else {
            throw OpenSSL.error("EVP_PKEY_get_bn_param(\(name))")
        }
        defer { BN_free(bn) }
        var out = [UInt8](repeating: 0, count: 32)
        guard BN_bn2binpad(bn, &out, 32) == 32 else { throw OpenSSL.error("BN_bn2binpad") }
        return out
    }

    /// Runs `body` with a read-only memory BIO over `bytes` (`BIO_new_mem_buf` does not
    /// copy, so the BIO must not outlive the closure).
    static func withReadBIO<R>(_ bytes: [UInt8], _ body: (OpaquePointer) -> R) -> R? {
        withBytes(bytes) { pointer, count -> R? in
            guard let bio = BIO_new_mem_buf(pointer, Int32(count)) else { return nil }
            defer { BIO_free(bio) }
            return body(bio)
        }
    }

    /// Runs `write` against a fresh memory BIO and returns what it wrote.
    static func writeToMemory(_ operation: String, _ write: (OpaquePointer) -> Int32) throws(CryptoError) -> [UInt8] {
        guard let bio = BIO_new(BIO_s_mem()) else { throw OpenSSL.error("BIO_new") }
        defer { BIO_free(bio) }
        guard write(bio) == 1 else { throw OpenSSL.error(operation) }
        var data: UnsafeMutablePointer<CChar>? = nil
        let length = almanac_bio_get_mem_data(bio, &data)
        guard length > 0, let data else { throw OpenSSL.error(operation) }
        return data.withMemoryRebound(to: UInt8.self, capacity: length) {
            Array(UnsafeBufferPointer(start: $0, count: length))
        }
    }
}

/// A PEM password callback that refuses: an encrypted PEM fails to load instead of
/// OpenSSL's default callback prompting on the terminal.
let refusePassphrase: @convention(c) (UnsafeMutablePointer<CChar>?, Int32, Int32, UnsafeMutableRawPointer?) -> Int32 = {
    _, _, _, _ in 0
}
