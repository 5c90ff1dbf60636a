import AlmanacCore
import Testing

@testable import AlmanacAuth

@Suite("scrypt and password hashes")
struct ScryptTests {
    @Test func rfc7914EmptyVector() throws {
        let key = try Scrypt.derive(password: [UInt8](), salt: [UInt8](), n: 16, r: 1, p: 1, length: 64)
        #expect(
            Hex.encode(key)
                == "77d6576238657b203b19ca42c18a0497f16b4844e3074ae8dfdffa3fede21442"
                + "fcd0069ded0948f8326a753a0fc81f17e8d3e0fb2e0d3628cf35e20c38d18906")
    }

    @Test func rfc7914PasswordNaClVector() throws {
        let key = try Scrypt.derive(
            password: Array("password".utf8), salt: Array("NaCl".utf8), n: 1024, r: 8, p: 16, length: 64)
        #expect(
            Hex.encode(key)
                == "fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b373162"
                + "2eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640")
    }

    @Test func rejectsBadParameters() {
        #expect(throws: CryptoError.self) { try Scrypt.derive(password: [1], salt: [1], n: 1000, r: 8, p: 1, length: 32) }
        #expect(throws: CryptoError.self) { try Scrypt.derive(password: [1], salt: [1], n: 1 << 21, r: 8, p: 1, length: 32) }
        #expect(throws: CryptoError.self) { try Scrypt.derive(password: [1], salt: [1], n: 16, r: 0, p: 1, length: 32) }
        #expect(throws: CryptoError.self) { try Scrypt.derive(password: [1], salt: [1], n: 16, r: 1, p: 1, length: 0) }
        // 128 * 32 * 2^20 = 4 GiB of working memory: refused before any allocation.
        #expect(throws: CryptoError.self) { try Scrypt.derive(password: [1], salt: [1], n: 1 << 20, r: 32, p: 1, length: 32) }
    }

    @Test func passwordHashRoundTrip() throws {
        let hash = try PasswordHash.create(secret: "correct horse battery staple")
        let encoded = hash.encoded
        #expect(encoded.hasPrefix("scrypt$16384$8$1$"))
        #expect(encoded.split(separator: "$").count == 6)
        #expect(!hash.description.contains(encoded.split(separator: "$")[5]))

        let parsed = try PasswordHash(encoded: encoded)
        #expect(parsed == hash)
        #expect(parsed.salt.count == 16 && parsed.hash.count == 32)
        #expect(try parsed.verify("correct horse battery staple"))
        #expect(try !parsed.verify("correct horse battery stapler"))
        #expect(try !parsed.verify(""))
        #expect(!parsed.needsRehash())
    }

    @Test func passwordHashSaltsDiffer() throws {
        let cheap = PasswordHash.Parameters(n: 16, r: 1, p: 1)
        let a = try PasswordHash.create(secret: "same", parameters: cheap)
        let b = try PasswordHash.create(secret: "same", parameters: cheap)
        #expect(a.salt != b.salt && a.hash != b.hash)
        #expect(try a.verify("same") && b.verify("same"))
        #expect(a.needsRehash())
    }

    @Test func passwordHashParsingIsStrict() throws {
        let good = try PasswordHash.create(secret: "x", parameters: .init(n: 16, r: 1, p: 1)).encoded
        let parts = good.split(separator: "$", omittingEmptySubsequences: false).map(String.init)
        func variant(_ index: Int, _ value: String) -> String {
            var p = parts
            p[index] = value
            return p.joined(separator: "$")
        }
        let bad = [
            "", "scrypt", good + "$", "bcrypt" + good.dropFirst(6),
            variant(1, "15"), variant(1, "016"), variant(1, "1048576000"), variant(1, "-16"),
            variant(2, "0"), variant(3, "99"), variant(1, "1048576").replacingFirst("$1$1$", with: "$8$1$"),  // 128*r*N = 1 GiB
            variant(4, parts[4] + "="), variant(4, "AAAA"),  // padding; salt too short
            variant(5, "AAAA"),  // hash too short
            variant(5, parts[5] + "!"),
        ]
        for text in bad {
            #expect(throws: CryptoError.self, "\(text)") { try PasswordHash(encoded: text) }
        }
    }
}

extension String {
    fileprivate func replacingFirst(_ target: String, with replacement: String) -> String {
        guard let range = firstRange(of: target) else { return self }
        var copy = self
        copy.replaceSubrange(range, with: replacement)
        return copy
    }
}
