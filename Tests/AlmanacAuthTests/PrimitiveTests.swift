import AlmanacCore
import Testing

@testable import AlmanacAuth

@Suite("Hashing, MAC, random")
struct PrimitiveTests {
    @Test func sha256KnownAnswer() throws {
        #expect(Hex.encode(try SHA256.hash("abc")) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(Hex.encode(try SHA256.hash([UInt8]())) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    @Test func hmacSHA256RFC4231TestCase2() throws {
        let mac = try HMACSHA256.authenticate(key: Array("Jefe".utf8), message: Array("what do ya want for nothing?".utf8))
        #expect(Hex.encode(mac) == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        #expect(try HMACSHA256.isValid(mac, key: Array("Jefe".utf8), message: Array("what do ya want for nothing?".utf8)))
        #expect(try !HMACSHA256.isValid(mac, key: Array("Jeff".utf8), message: Array("what do ya want for nothing?".utf8)))
    }

    @Test func constantTimeEquals() {
        #expect(ConstantTime.equals([1, 2, 3] as [UInt8], [1, 2, 3] as [UInt8]))
        #expect(!ConstantTime.equals([1, 2, 3] as [UInt8], [1, 2, 4] as [UInt8]))
        #expect(!ConstantTime.equals([1, 2, 3] as [UInt8], [1, 2] as [UInt8]))
        #expect(ConstantTime.equals([UInt8](), [UInt8]()))
    }

    @Test func secureRandom() throws {
        let a = try SecureRandom.bytes(32)
        let b = try SecureRandom.bytes(32)
        #expect(a.count == 32 && b.count == 32)
        #expect(a != b)
        #expect(try SecureRandom.bytes(0).isEmpty)
        #expect(throws: CryptoError.self) { try SecureRandom.bytes(-1) }
    }

    @Test func errorsCarryTheOpenSSLQueue() {
        do {
            _ = try P256PublicKey(pem: "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")
            Issue.record("garbage PEM was accepted")
        } catch {
            #expect(error.code == .invalidFormat)
            #expect(!error.openSSLErrors.isEmpty)
            #expect(error.openSSLErrors.allSatisfy { $0.hasPrefix("error:") })
        }
        // The queue was drained: the next failure reports only its own errors.
        do {
            _ = try P256PrivateKey(pkcs8DER: [0x30, 0x00])
            Issue.record("garbage DER was accepted")
        } catch {
            #expect(error.code == .invalidFormat)
        }
    }
}
