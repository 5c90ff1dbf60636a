import AlmanacCore

/// A scrypt password (or client secret) hash in a self-describing text form:
///
///     scrypt$N$r$p$<base64 salt>$<base64 hash>
///
/// for example `scrypt$16384$8$1$3q2+7w...$Zm9v...` (standard base64 alphabet, unpadded).
/// The parameters travel with the hash, so raising the defaults later leaves old hashes
/// verifiable (and `needsRehash` tells which ones to upgrade at the next login).
///
/// `description` is redacted; use `encoded` to store the value.
public struct PasswordHash: Sendable, Hashable, CustomStringConvertible {
    public struct Parameters: Sendable, Hashable {
        public var n: UInt64
        public var r: UInt64
        public var p: UInt64
        public var saltLength: Int
        public var keyLength: Int

        public init(n: UInt64, r: UInt64, p: UInt64, saltLength: Int = 16, keyLength: Int = 32) {
            self.n = n
            self.r = r
            self.p = p
            self.saltLength = saltLength
            self.keyLength = keyLength
        }

        /// N = 2^14, r = 8, p = 1, 16-byte salt, 32-byte key: about 16 MiB and a few tens
        /// of milliseconds per hash.
        public static let `default` = Parameters(n: 1 << 14, r: 8, p: 1)
    }

    public static let scheme = "scrypt"
    /// Salts shorter than this are refused when parsing.
    public static let minSaltLength = 8
    /// Hashes shorter than this are refused when parsing (a 1-byte hash would verify
    /// one guess in 256).
    public static let minKeyLength = 16

    public let n: UInt64
    public let r: UInt64
    public let p: UInt64
    public let salt: [UInt8]
    public let hash: [UInt8]

    /// Hashes `secret` with a fresh random salt.
    public static func create(
        secret: some Collection<UInt8>, parameters: Parameters = .default
    ) throws(CryptoError) -> PasswordHash {
        guard parameters.saltLength >= minSaltLength, parameters.saltLength <= 64,
            parameters.keyLength >= minKeyLength, parameters.keyLength <= 64
        else {
            throw CryptoError(.invalidArgument, "salt length must be in \(minSaltLength)...64 and key length in \(minKeyLength)...64")
        }
        let salt = try SecureRandom.bytes(parameters.saltLength)
        let hash = try Scrypt.derive(
            password: secret, salt: salt, n: parameters.n, r: parameters.r, p: parameters.p,
            length: parameters.keyLength)
        return PasswordHash(n: parameters.n, r: parameters.r, p: parameters.p, salt: salt, hash: hash)
    }

    public static func create(secret: String, parameters: Parameters = .default) throws(CryptoError) -> PasswordHash {
        try create(secret: Array(secret.utf8), parameters: parameters)
    }

    private init(n: UInt64, r: UInt64, p: UInt64, salt: [UInt8], hash: [UInt8]) {
        self.n = n
        self.r = r
        self.p = p
        self.salt = salt
        self.hash = hash
    }

    /// Parses the `scrypt$N$r$p$salt$hash` form. Parameters outside `Scrypt`'s bounds are
    /// refused here, before any work is done.
    public init(encoded: String) throws(CryptoError) {
        let parts = encoded.split(separator: "$", omittingEmptySubsequences: false)
        guard parts.count == 6, parts[0] == Substring(Self.scheme) else {
            throw CryptoError(.invalidFormat, "not a scrypt$N$r$p$salt$hash password hash")
        }
        guard let n = Self.decimal(parts[1]), let r = Self.decimal(parts[2]), let p = Self.decimal(parts[3]),
            n > 1, n & (n - 1) == 0, n <= Scrypt.maxN,
            (1...Scrypt.maxR).contains(r), (1...Scrypt.maxP).contains(p), 128 * r * n <= Scrypt.maxMemoryBytes
        else {
            throw CryptoError(.invalidFormat, "password hash has invalid or out-of-range scrypt parameters")
        }
        guard let salt = Base64Codec.standard.decode(parts[4].utf8),
            let hash = Base64Codec.standard.decode(parts[5].utf8),
            (Self.minSaltLength...64).contains(salt.count), (Self.minKeyLength...64).contains(hash.count)
        else {
            throw CryptoError(.invalidFormat, "password hash has an invalid salt or hash")
        }
        self.init(n: n, r: r, p: p, salt: salt, hash: hash)
    }

    /// The text to store.
    public var encoded: String {
        "\(Self.scheme)$\(n)$\(r)$\(p)$\(Base64Codec.standard.encode(salt))$\(Base64Codec.standard.encode(hash))"
    }

    public var description: String { "\(Self.scheme)$\(n)$\(r)$\(p)$<redacted>" }

    /// True when `secret` hashes to this value. The final comparison is constant-time.
    public func verify(_ secret: some Collection<UInt8>) throws(CryptoError) -> Bool {
        let candidate = try Scrypt.derive(password: secret, salt: salt, n: n, r: r, p: p, length: hash.count)
        return ConstantTime.equals(candidate, hash)
    }

    public func verify(_ secret: String) throws(CryptoError) -> Bool {
        try verify(Array(secret.utf8))
    }

    /// True when this hash was made with weaker (or merely different) parameters than
    /// `parameters`, so the caller should rehash the secret after a successful verify.
    public func needsRehash(_ parameters: Parameters = .default) -> Bool {
        n != parameters.n || r != parameters.r || p != parameters.p
            || salt.count < parameters.saltLength || hash.count != parameters.keyLength
    }

    /// Decimal without sign, leading zeros or overflow (one spelling per value).
    private static func decimal(_ text: Substring) -> UInt64? {
        guard !text.isEmpty, text.count <= 19, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        guard text == "0" || text.first != "0" else { return nil }
        return UInt64(text)
    }
}
