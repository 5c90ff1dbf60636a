import COpenSSL

/// AES-256-GCM authenticated encryption for small secrets at rest (private keys in the
/// key store).
///
/// A sealed box is self-contained:
///
///     version (1 byte, 0x01) || nonce (12 bytes) || ciphertext || tag (16 bytes)
///
/// Every `seal` draws a fresh random 96-bit nonce, so one key may seal about 2^32 boxes
/// before the nonce-collision risk reaches 2^-32 (NIST SP 800-38D); a key store seals a
/// handful. The version byte is authenticated too (it is fed to GCM as associated data
/// ahead of the caller's `aad`), so a box cannot be relabelled as another format.
public enum AESGCM {
    public static let keyByteCount = 32
    public static let nonceByteCount = 12
    public static let tagByteCount = 16
    public static let version: UInt8 = 0x01
    /// Bytes a sealed box adds to its plaintext.
    public static let overhead = 1 + nonceByteCount + tagByteCount

    /// Encrypts and authenticates `plaintext`; `aad` is authenticated but not stored, and
    /// must be passed again to `open` (bind a box to its purpose, e.g. "jwt-key:<kid>").
    public static func seal(
        _ plaintext: some Collection<UInt8>, key: some Collection<UInt8>, aad: some Collection<UInt8> = [UInt8]()
    ) throws(CryptoError) -> [UInt8] {
        let key = try checkedKey(key)
        let nonce = try SecureRandom.bytes(nonceByteCount)
        let input = Array(plaintext)
        guard input.count <= Int(Int32.max) - 16 else {
            throw CryptoError(.invalidArgument, "AES-GCM plaintext too long")
        }
        let aadBytes = [version] + Array(aad)
        guard let ctx = EVP_CIPHER_CTX_new() else { throw OpenSSL.error("EVP_CIPHER_CTX_new") }
        defer { EVP_CIPHER_CTX_free(ctx) }

        var ciphertext = [UInt8](repeating: 0, count: input.count)
        var tag = [UInt8](repeating: 0, count: tagByteCount)
        let failed: String? = withBytes(key) { k, _ in
            withBytes(nonce) { iv, _ in
                guard EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), nil, nil, nil) == 1 else { return "EVP_EncryptInit_ex" }
                guard almanac_aead_set_iv_length(ctx, Int32(nonceByteCount)) == 1 else { return "set IV length" }
                guard EVP_EncryptInit_ex(ctx, nil, nil, k, iv) == 1 else { return "EVP_EncryptInit_ex(key)" }
                var outLength: Int32 = 0
                let aadOK = withBytes(aadBytes) { a, count in
                    EVP_EncryptUpdate(ctx, nil, &outLength, a, Int32(count)) == 1
                }
                guard aadOK else { return "EVP_EncryptUpdate(aad)" }
                let written: Int32? = withBytes(input) { p, count -> Int32? in
                    ciphertext.withUnsafeMutableBufferPointer { out -> Int32? in
                        guard count > 0 else { return 0 }
                        var length: Int32 = 0
                        guard EVP_EncryptUpdate(ctx, out.baseAddress, &length, p, Int32(count)) == 1 else { return nil }
                        return length
                    }
                }
                guard let written, Int(written) == input.count else { return "EVP_EncryptUpdate" }
                // GCM is a stream mode: Final writes nothing, but must run to compute the tag.
                var finalLength: Int32 = 0
                var scratch = [UInt8](repeating: 0, count: 16)
                guard EVP_EncryptFinal_ex(ctx, &scratch, &finalLength) == 1, finalLength == 0 else {
                    return "EVP_EncryptFinal_ex"
                }
                guard almanac_aead_get_tag(ctx, &tag, Int32(tagByteCount)) == 1 else { return "get GCM tag" }
                return nil
            }
        }
        if let failed { throw OpenSSL.error(failed) }
        return [version] + nonce + ciphertext + tag
    }

    /// Checks the tag and decrypts. Throws `.authenticationFailed` for a wrong key, wrong
    /// `aad` or any modification of the box, and `.invalidFormat` for a box too short or of
    /// an unknown version.
    public static func open(
        _ box: some Collection<UInt8>, key: some Collection<UInt8>, aad: some Collection<UInt8> = [UInt8]()
    ) throws(CryptoError) -> [UInt8] {
        let key = try checkedKey(key)
        let sealed = Array(box)
        guard sealed.count >= overhead, sealed.count <= Int(Int32.max) else {
            throw CryptoError(.invalidFormat, "AES-GCM sealed box is too short")
        }
        guard sealed[0] == version else {
            throw CryptoError(.invalidFormat, "AES-GCM sealed box has unknown version \(sealed[0])")
        }
        let nonce = Array(sealed[1..<(1 + nonceByteCount)])
        let ciphertext = Array(sealed[(1 + nonceByteCount)..<(sealed.count - tagByteCount)])
        var tag = Array(sealed[(sealed.count - tagByteCount)...])
        let aadBytes = [version] + Array(aad)
        guard let ctx = EVP_CIPHER_CTX_new() else { throw OpenSSL.error("EVP_CIPHER_CTX_new") }
        defer { EVP_CIPHER_CTX_free(ctx) }

        var plaintext = [UInt8](repeating: 0, count: ciphertext.count)
        let outcome: OpenOutcome = withBytes(key) { k, _ in
            withBytes(nonce) { iv, _ in
                guard EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), nil, nil, nil) == 1 else { return .failed("EVP_DecryptInit_ex") }
                guard almanac_aead_set_iv_length(ctx, Int32(nonceByteCount)) == 1 else { return .failed("set IV length") }
                guard EVP_DecryptInit_ex(ctx, nil, nil, k, iv) == 1 else { return .failed("EVP_DecryptInit_ex(key)") }
                var outLength: Int32 = 0
                let aadOK = withBytes(aadBytes) { a, count in
                    EVP_DecryptUpdate(ctx, nil, &outLength, a, Int32(count)) == 1
                }
                guard aadOK else { return .failed("EVP_DecryptUpdate(aad)") }
                let written: Int32? = withBytes(ciphertext) { c, count -> Int32? in
                    plaintext.withUnsafeMutableBufferPointer { out -> Int32? in
                        guard count > 0 else { return 0 }
                        var length: Int32 = 0
                        guard EVP_DecryptUpdate(ctx, out.baseAddress, &length, c, Int32(count)) == 1 else { return nil }
                        return length
                    }
                }
                guard let written, Int(written) == ciphertext.count else { return .failed("EVP_DecryptUpdate") }
                guard almanac_aead_set_tag(ctx, &tag, Int32(tagByteCount)) == 1 else { return .failed("set GCM tag") }
                var finalLength: Int32 = 0
                var scratch = [UInt8](repeating: 0, count: 16)
                // DecryptFinal compares the tag (in constant time) and fails on mismatch.
                guard EVP_DecryptFinal_ex(ctx, &scratch, &finalLength) == 1 else { return .tagMismatch }
                return .ok
            }
        }
        switch outcome {
        case .ok:
            return plaintext
        case .failed(let operation):
            throw OpenSSL.error(operation)
        case .tagMismatch:
            // Never release unauthenticated plaintext.
            for i in plaintext.indices { plaintext[i] = 0 }
            OpenSSL.clearErrorQueue()
            throw CryptoError(.authenticationFailed, "AES-GCM authentication failed (wrong key, wrong associated data or tampered box)")
        }
    }

    private static func checkedKey(_ key: some Collection<UInt8>) throws(CryptoError) -> [UInt8] {
        let bytes = Array(key)
        guard bytes.count == keyByteCount else {
            throw CryptoError(.invalidArgument, "AES-256-GCM needs a \(keyByteCount)-byte key, got \(bytes.count) bytes")
        }
        return bytes
    }
}

private enum OpenOutcome {
    case ok
    case failed(String)
    case tagMismatch
}
