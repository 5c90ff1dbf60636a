import Testing

@testable import AlmanacAuth

@Suite("ECDSA P-256 (ES256) keys")
struct P256Tests {
    let key: P256PrivateKey
    let message = Array("header.payload".utf8)

    init() throws { key = try P256PrivateKey() }

    @Test func signVerifyRoundTrip() throws {
        let signature = try key.sign(message)
        #expect(signature.count == 64)
        #expect(key.publicKey.verify(signature: signature, message: message))
        // ECDSA is randomized: a second signature differs and verifies too.
        let again = try key.sign(message)
        #expect(again != signature)
        #expect(key.publicKey.verify(signature: again, message: message))
        #expect(key.publicKey.verify(signature: try key.sign([UInt8]()), message: [UInt8]()))
    }

    @Test func tamperedMessageFails() throws {
        let signature = try key.sign(message)
        var tampered = message
        tampered[0] ^= 0x20
        #expect(!key.publicKey.verify(signature: signature, message: tampered))
        #expect(!key.publicKey.verify(signature: signature, message: message + [0]))
        var flipped = signature
        flipped[10] ^= 0x01
        #expect(!key.publicKey.verify(signature: flipped, message: message))
    }

    @Test func wrongKeyFails() throws {
        let other = try P256PrivateKey()
        #expect(!other.publicKey.verify(signature: try key.sign(message), message: message))
    }

    @Test func malformedSignaturesAreFalseNotCrashes() throws {
        let good = try key.sign(message)
        let order = p256Order
        let zero = [UInt8](repeating: 0, count: 32)
        let ones = [UInt8](repeating: 0xFF, count: 32)
        var orderPlusOne = order
        orderPlusOne[31] += 1
        let candidates: [[UInt8]] = [
            [], [0], Array(good.prefix(63)), good + [0], Array(repeating: 0, count: 64),
            zero + Array(good[32...]),  // r = 0
            Array(good[..<32]) + zero,  // s = 0
            order + Array(good[32...]),  // r = n
            Array(good[..<32]) + order,  // s = n
            orderPlusOne + Array(good[32...]),
            Array(good[..<32]) + ones,  // s > n
            ones + ones,
            try derSignature(good),  // DER instead of raw
        ]
        for candidate in candidates {
            #expect(!key.publicKey.verify(signature: candidate, message: message), "\(candidate.count) bytes")
        }
    }

    @Test func coordinatesRoundTrip() throws {
        let pub = key.publicKey
        #expect(pub.x.count == 32 && pub.y.count == 32)
        #expect(pub.rawRepresentation == pub.x + pub.y)
        let rebuilt = try P256PublicKey(x: pub.x, y: pub.y)
        #expect(rebuilt == pub)
        #expect(rebuilt.verify(signature: try key.sign(message), message: message))
    }

    @Test func pointsOffTheCurveAreRefused() throws {
        let pub = key.publicKey
        var y = pub.y
        y[31] ^= 0x01
        expectCryptoError(.invalidFormat) { try P256PublicKey(x: pub.x, y: y) }
        let zero = [UInt8](repeating: 0, count: 32)
        expectCryptoError(.invalidFormat) { try P256PublicKey(x: zero, y: zero) }
        let ones = [UInt8](repeating: 0xFF, count: 32)
        expectCryptoError(.invalidFormat) { try P256PublicKey(x: ones, y: ones) }
        expectCryptoError(.invalidArgument) { try P256PublicKey(x: pub.x, y: Array(pub.y.prefix(31))) }
    }

    @Test func privatePEMRoundTrip() throws {
        let pem = try key.pemRepresentation()
        #expect(pem.hasPrefix("-----BEGIN PRIVATE KEY-----\n"))
        let imported = try P256PrivateKey(pem: pem)
        #expect(imported.publicKey == key.publicKey)
        #expect(key.publicKey.verify(signature: try imported.sign(message), message: message))
    }

    @Test func pkcs8DERRoundTrip() throws {
        let der = try key.pkcs8DER()
        #expect(der.first == 0x30)
        let imported = try P256PrivateKey(pkcs8DER: der)
        #expect(imported.publicKey == key.publicKey)
        #expect(try imported.pkcs8DER() == der)
        expectCryptoError(.invalidFormat) { try P256PrivateKey(pkcs8DER: der + [0]) }
        expectCryptoError(.invalidFormat) { try P256PrivateKey(pkcs8DER: Array(der.dropLast())) }
    }

    @Test func sealedPKCS8RoundTrip() throws {
        let storeKey = try SecureRandom.bytes(32)
        let box = try AESGCM.seal(try key.pkcs8DER(), key: storeKey, aad: Array("jwt-key:k1".utf8))
        let restored = try P256PrivateKey(pkcs8DER: try AESGCM.open(box, key: storeKey, aad: Array("jwt-key:k1".utf8)))
        #expect(restored.publicKey == key.publicKey)
    }

    @Test func publicPEMRoundTrip() throws {
        let pem = try key.publicKey.pemRepresentation()
        #expect(pem.hasPrefix("-----BEGIN PUBLIC KEY-----\n"))
        let imported = try P256PublicKey(pem: pem)
        #expect(imported == key.publicKey)
        #expect(imported.verify(signature: try key.sign(message), message: message))
    }

    @Test func sec1AndCompressedPEMImport() throws {
        let imported = try P256PrivateKey(pem: Fixtures.sec1PrivateKey)
        let compressed = try P256PublicKey(pem: Fixtures.compressedPublicKeyOfSec1Key)
        #expect(compressed == imported.publicKey)
        #expect(compressed.verify(signature: try imported.sign(message), message: message))
    }

    @Test func otherCurvesAndKeyTypesAreRefused() {
        for pem in [Fixtures.p384PublicKey, Fixtures.secp256k1PublicKey, Fixtures.ed25519PublicKey] {
            expectCryptoError(.invalidFormat) { try P256PublicKey(pem: pem) }
        }
        expectCryptoError(.invalidFormat) { try P256PublicKey(pem: "") }
        expectCryptoError(.invalidFormat) { try P256PrivateKey(pem: Fixtures.p384PublicKey) }
    }

    @Test func concurrentUseOfOneKey() async throws {
        let key = self.key
        let message = self.message
        try await withThrowingTaskGroup(of: Bool.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    var ok = true
                    for _ in 0..<50 {
                        let signature = try key.sign(message)
                        ok = ok && key.publicKey.verify(signature: signature, message: message)
                    }
                    return ok
                }
            }
            for try await ok in group { #expect(ok) }
        }
    }

    /// The DER encoding of a raw signature (what OpenSSL would produce), for a negative test.
    private func derSignature(_ raw: [UInt8]) throws -> [UInt8] {
        try #require(ECDSASignature.der(fromRaw: raw))
    }
}

enum Fixtures {
    static let sec1PrivateKey = """
        -----BEGIN EC PRIVATE KEY-----
        MHcCAQEEIMd4Kfyvg473T5c5g0JnoNJcokrb/aGJDVGOTWEk7wb1oAoGCCqGSM49
        AwEHoUQDQgAE/ciEfJ9FvykJQZRfiLaUA7O4Jrhz/OwmOQJ4TDJvL5PuCWaPt7MG
        KpwXUvBtNwEForlvCZ0x6dhZkf0nJwZesQ==
        -----END EC PRIVATE KEY-----

        """
    static let compressedPublicKeyOfSec1Key = """
        -----BEGIN PUBLIC KEY-----
        MDkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDIgAD/ciEfJ9FvykJQZRfiLaUA7O4Jrhz
        /OwmOQJ4TDJvL5M=
        -----END PUBLIC KEY-----

        """
    static let p384PublicKey = """
        -----BEGIN PUBLIC KEY-----
        MHYwEAYHKoZIzj0CAQYFK4EEACIDYgAEIyLza8ViEB1TN7br575NIcRYC4ITyE2C
        l3q+c6cXTawyyd/0zU5PaFltRUotV1f812SsqO9JU2Oc2Uz1DkbeBeh/Tq1OvETp
        aY+tj782A9Bv+ZRUuAF+yxo7Ae0s3d9L
        -----END PUBLIC KEY-----

        """
    static let secp256k1PublicKey = """
        -----BEGIN PUBLIC KEY-----
        MFYwEAYHKoZIzj0CAQYFK4EEAAoDQgAEvQEXDJAo4X5wF1hHmTb6ekVuSjBOJDFK
        f/h7YBxUgUCiO39SqNC+a6AN/FXG2FAoujKOx7JDbkAQvsCOq6eKPA==
        -----END PUBLIC KEY-----

        """
    static let ed25519PublicKey = """
        -----BEGIN PUBLIC KEY-----
        MCowBQYDK2VwAyEAfvhly5FbkazRt54pn07mNeeMxgz5iFdlqzczW1IfOXw=
        -----END PUBLIC KEY-----

        """
}
