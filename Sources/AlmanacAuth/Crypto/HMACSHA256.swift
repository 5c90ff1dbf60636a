import COpenSSL

/// HMAC-SHA-256 (RFC 2104) through OpenSSL's one-shot `HMAC`.
public enum HMACSHA256 {
    public static let byteCount = 32

    public static func authenticate(key: some Collection<UInt8>, message: some Collection<UInt8>) throws(CryptoError) -> [UInt8] {
        let keyBytes = Array(key)
        let messageBytes = Array(message)
        guard keyBytes.count <= Int(Int32.max) else {
            throw CryptoError(.invalidArgument, "HMAC key too long")
        }
        var ok = false
        let mac = [UInt8](unsafeUninitializedCapacity: byteCount) { out, initialized in
            out.initialize(repeating: 0)
            initialized = byteCount
            var length: UInt32 = 0
            let pointer = withBytes(keyBytes) { k, kCount in
                withBytes(messageBytes) { m, mCount in
                    HMAC(EVP_sha256(), k, Int32(kCount), m, mCount, out.baseAddress, &length)
                }
            }
            ok = pointer != nil && length == UInt32(byteCount)
        }
        guard ok else { throw OpenSSL.error("HMAC(SHA-256)") }
        return mac
    }

    /// Recomputes the MAC and compares it with `mac` in constant time.
    public static func isValid(
        _ mac: some Collection<UInt8>, key: some Collection<UInt8>, message: some Collection<UInt8>
    ) throws(CryptoError) -> Bool {
        let expected = try authenticate(key: key, message: message)
        return ConstantTime.equals(expected, Array(mac))
    }
}

/// Comparisons whose running time does not depend on the contents compared.
public enum ConstantTime {
    /// True when both are equal. Time depends only on the lengths (which are public:
    /// digest and MAC sizes), never on where the first difference is (`CRYPTO_memcmp`).
    public static func equals(_ a: some Collection<UInt8>, _ b: some Collection<UInt8>) -> Bool {
        let x = Array(a)
        let y = Array(b)
        guard x.count == y.count else { return false }
        if x.isEmpty { return true }
        return withBytes(x) { px, count in
            withBytes(y) { py, _ in CRYPTO_memcmp(px, py, count) == 0 }
        }
    }
}
