import COpenSSL

/// Cryptographically secure random bytes from OpenSSL's DRBG (`RAND_bytes`).
public enum SecureRandom {
    /// `count` random bytes. Throws only if the DRBG cannot be seeded.
    public static func bytes(_ count: Int) throws(CryptoError) -> [UInt8] {
        guard count >= 0, count <= Int(Int32.max) else {
            throw CryptoError(.invalidArgument, "random byte count out of range: \(count)")
        }
        if count == 0 { return [] }
        var result: Int32 = 0
        let bytes = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            result = RAND_bytes(buffer.baseAddress, Int32(count))
            // On failure the contents are unspecified; zero them so no garbage escapes.
            if result != 1 { buffer.initialize(repeating: 0) }
            initialized = count
        }
        try OpenSSL.check(result, "RAND_bytes")
        return bytes
    }
}
