import COpenSSL

/// SHA-256 (FIPS 180-4) through `EVP_Digest`.
public enum SHA256 {
    public static let byteCount = 32

    public static func hash(_ bytes: some Collection<UInt8>) throws(CryptoError) -> [UInt8] {
        let input = Array(bytes)
        var result: Int32 = 0
        let digest = [UInt8](unsafeUninitializedCapacity: byteCount) { out, initialized in
            out.initialize(repeating: 0)
            initialized = byteCount
            var length: UInt32 = 0
            result = withBytes(input) { data, count in
                EVP_Digest(data, count, out.baseAddress, &length, EVP_sha256(), nil)
            }
            if length != UInt32(byteCount) { result = 0 }
        }
        try OpenSSL.check(result, "EVP_Digest(SHA-256)")
        return digest
    }

    public static func hash(_ string: String) throws(CryptoError) -> [UInt8] {
        try hash(Array(string.utf8))
    }
}
