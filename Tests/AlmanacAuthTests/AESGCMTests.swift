import Testing

@testable import AlmanacAuth

@Suite("AES-256-GCM sealed boxes")
struct AESGCMTests {
    let key: [UInt8]

    init() throws { key = try SecureRandom.bytes(32) }

    @Test func roundTrip() throws {
        let plaintext = Array("the quick brown fox".utf8)
        let box = try AESGCM.seal(plaintext, key: key, aad: Array("jwt-key:k1".utf8))
        #expect(box.count == plaintext.count + AESGCM.overhead)
        #expect(box[0] == AESGCM.version)
        #expect(try AESGCM.open(box, key: key, aad: Array("jwt-key:k1".utf8)) == plaintext)
    }

    @Test func emptyPlaintextAndNoAAD() throws {
        let box = try AESGCM.seal([UInt8](), key: key)
        #expect(box.count == AESGCM.overhead)
        #expect(try AESGCM.open(box, key: key).isEmpty)
    }

    @Test func freshNonceEachSeal() throws {
        let a = try AESGCM.seal([1, 2, 3] as [UInt8], key: key)
        let b = try AESGCM.seal([1, 2, 3] as [UInt8], key: key)
        #expect(a[1..<13] != b[1..<13])
        #expect(a != b)
    }

    @Test func everyTamperedByteIsRefused() throws {
        let box = try AESGCM.seal(Array("secret".utf8), key: key)
        for index in 1..<box.count {
            var tampered = box
            tampered[index] ^= 0x01
            expectCryptoError(.authenticationFailed) { try AESGCM.open(tampered, key: key) }
        }
        var relabelled = box
        relabelled[0] = 0x02
        expectCryptoError(.invalidFormat) { try AESGCM.open(relabelled, key: key) }
        #expect(throws: CryptoError.self) { try AESGCM.open(Array(box.prefix(AESGCM.overhead - 1)), key: key) }
    }

    @Test func wrongKeyOrAADIsRefused() throws {
        let box = try AESGCM.seal(Array("secret".utf8), key: key, aad: [1])
        let other = try SecureRandom.bytes(32)
        expectCryptoError(.authenticationFailed) { try AESGCM.open(box, key: other, aad: [1]) }
        expectCryptoError(.authenticationFailed) { try AESGCM.open(box, key: key, aad: [2]) }
        #expect(throws: CryptoError.self) { try AESGCM.open(box, key: key) }
    }

    @Test func keyMustBe32Bytes() {
        #expect(throws: CryptoError.self) { try AESGCM.seal([1] as [UInt8], key: [UInt8](repeating: 0, count: 16)) }
        #expect(throws: CryptoError.self) { try AESGCM.open([UInt8](repeating: 1, count: 40), key: [UInt8](repeating: 0, count: 31)) }
    }
}

/// Expects `body` to throw a `CryptoError` with `code`.
func expectCryptoError<R>(
    _ code: CryptoError.Code, sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> R
) {
    let error = #expect(throws: CryptoError.self, sourceLocation: sourceLocation) { _ = try body() }
    #expect(error?.code == code, sourceLocation: sourceLocation)
}
