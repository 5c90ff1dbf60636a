import COpenSSL

/// The scrypt key-derivation function (RFC 7914) through `EVP_PBE_scrypt`.
public enum Scrypt {
    /// Upper bounds on the cost parameters, so that a stored (or forged) hash string cannot
    /// make one verification allocate gigabytes or run for minutes.
    public static let maxN: UInt64 = 1 << 20
    public static let maxR: UInt64 = 32
    public static let maxP: UInt64 = 16
    public static let maxLength = 1024
    /// Upper bound on scrypt's working memory, 128 * r * N bytes: 256 MiB (the defaults
    /// N = 2^14, r = 8 need 16 MiB).
    public static let maxMemoryBytes: UInt64 = 256 << 20

    /// Derives `length` bytes. `n` must be a power of two greater than 1; `r` and `p` at
    /// least 1; all within the bounds above.
    public static func derive(
        password: some Collection<UInt8>, salt: some Collection<UInt8>,
        n: UInt64, r: UInt64, p: UInt64, length: Int
    ) throws(CryptoError) -> [UInt8] {
        guard n > 1, n & (n - 1) == 0, n <= maxN else {
            throw CryptoError(.invalidArgument, "scrypt N must be a power of two in 2...\(maxN), got \(n)")
        }
        guard (1...maxR).contains(r), (1...maxP).contains(p) else {
            throw CryptoError(.invalidArgument, "scrypt r must be in 1...\(maxR) and p in 1...\(maxP), got r=\(r) p=\(p)")
        }
        guard 128 * r * n <= maxMemoryBytes else {
            throw CryptoError(.invalidArgument, "scrypt parameters need more than \(maxMemoryBytes >> 20) MiB (128*r*N)")
        }
        guard (1...maxLength).contains(length) else {
            throw CryptoError(.invalidArgument, "scrypt output length must be in 1...\(maxLength), got \(length)")
        }
        let passwordBytes = Array(password)
        let saltBytes = Array(salt)
        // OpenSSL needs 128*r*(N+p) bytes plus a little; its default cap (32 MiB) would refuse
        // N=2^15,r=8, so pass the exact need (bounded by the parameter limits above).
        let maxMemory = 128 * r * (n + p + 2) + 4096
        var result: Int32 = 0
        let key = [UInt8](unsafeUninitializedCapacity: length) { out, initialized in
            out.initialize(repeating: 0)
            initialized = length
            result = withBytes(passwordBytes) { pw, pwCount in
                withBytes(saltBytes) { s, sCount in
                    pw.withMemoryRebound(to: CChar.self, capacity: max(pwCount, 1)) { pwChars in
                        EVP_PBE_scrypt(pwChars, pwCount, s, sCount, n, r, p, maxMemory, out.baseAddress, length)
                    }
                }
            }
        }
        try OpenSSL.check(result, "EVP_PBE_scrypt")
        return key
    }
}
