import COpenSSL

/// Conversion between OpenSSL's DER `ECDSA-Sig-Value` and the fixed-width `r || s`
/// that JWS uses (RFC 7518 §3.4), for P-256.
enum ECDSASignature {
    static let componentByteCount = 32

    /// DER -> 64 bytes `r || s`.
    static func raw(fromDER der: [UInt8]) throws(CryptoError) -> [UInt8] {
        let result: [UInt8]? = withBytes(der) { pointer, count -> [UInt8]? in
            var cursor: UnsafePointer<UInt8>? = pointer
            guard let sig = d2i_ECDSA_SIG(nil, &cursor, count) else { return nil }
            defer { ECDSA_SIG_free(sig) }
            guard let r = ECDSA_SIG_get0_r(sig), let s = ECDSA_SIG_get0_s(sig) else { return nil }
            var out = [UInt8](repeating: 0, count: 2 * componentByteCount)
            let ok = out.withUnsafeMutableBufferPointer { buffer in
                BN_bn2binpad(r, buffer.baseAddress, Int32(componentByteCount)) == Int32(componentByteCount)
                    && BN_bn2binpad(s, buffer.baseAddress! + componentByteCount, Int32(componentByteCount))
                        == Int32(componentByteCount)
            }
            return ok ? out : nil
        }
        guard let result else { throw OpenSSL.error("ECDSA signature DER to raw") }
        return result
    }

    /// 64 bytes `r || s` -> DER, or nil when the length is wrong or r or s is outside
    /// [1, n-1] (checked here rather than trusting every OpenSSL version to refuse them).
    static func der(fromRaw raw: [UInt8]) -> [UInt8]? {
        guard raw.count == 2 * componentByteCount else { return nil }
        let rBytes = raw[0..<componentByteCount]
        let sBytes = raw[componentByteCount...]
        for component in [rBytes, sBytes] {
            guard component.contains(where: { $0 != 0 }), compareBigEndian(component, p256Order) < 0 else { return nil }
        }
        return raw.withUnsafeBufferPointer { buffer -> [UInt8]? in
            guard let base = buffer.baseAddress,
                let r = BN_bin2bn(base, Int32(componentByteCount), nil)
            else { return nil }
            guard let s = BN_bin2bn(base + componentByteCount, Int32(componentByteCount), nil) else {
                BN_free(r)
                return nil
            }
            guard let sig = ECDSA_SIG_new() else {
                BN_free(r)
                BN_free(s)
                return nil
            }
            defer { ECDSA_SIG_free(sig) }
            // set0 takes ownership of r and s on success only.
            guard ECDSA_SIG_set0(sig, r, s) == 1 else {
                BN_free(r)
                BN_free(s)
                return nil
            }
            var out: UnsafeMutablePointer<UInt8>? = nil
            let length = i2d_ECDSA_SIG(sig, &out)
            guard length > 0, let out else { return nil }
            defer { almanac_openssl_free(out) }
            return Array(UnsafeBufferPointer(start: out, count: Int(length)))
        }
    }
}
