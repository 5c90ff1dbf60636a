import Testing

@testable import AlmanacCore

@Suite("Encodings: base64, hex, FNV-1a")
struct EncodingTests {
    @Test func hexRoundTrip() {
        #expect(Hex.encode([0x00, 0xAB, 0xFF]) == "00abff")
        #expect(Hex.decode("00ABff") == [0x00, 0xAB, 0xFF])
        #expect(Hex.decode("abc") == nil)
        #expect(Hex.decode("zz") == nil)
    }

    @Test func hexOfIntegersAndDigits() {
        #expect(Hex.encode(UInt64(0xAB)) == "00000000000000ab")
        #expect(Hex.encode(UInt64.max) == "ffffffffffffffff")
        #expect(Hex.encode(UInt64(0x0123_4567_89AB_CDEF)) == "0123456789abcdef")
        #expect(Hex.encode(UInt8(7)) == "07")
        #expect(Hex.encode(UInt64(0x0123_4567_89AB_CDEF)) == Hex.encode(withUnsafeBytes(of: UInt64(0x0123_4567_89AB_CDEF).bigEndian, Array.init)))
        #expect(Hex.value(UInt8(ascii: "0")) == 0)
        #expect(Hex.value(UInt8(ascii: "f")) == 15)
        #expect(Hex.value(UInt8(ascii: "F")) == 15)
        #expect(Hex.value(UInt8(ascii: "g")) == nil)
        #expect(Hex.value(UInt8(ascii: "%")) == nil)
    }

    @Test func base64URLKnownAnswers() {
        // RFC 4648 §10 vectors, unpadded, URL alphabet.
        let vectors: [(String, String)] = [
            ("", ""), ("f", "Zg"), ("fo", "Zm8"), ("foo", "Zm9v"), ("foob", "Zm9vYg"),
            ("fooba", "Zm9vYmE"), ("foobar", "Zm9vYmFy"),
        ]
        for (plain, encoded) in vectors {
            #expect(Base64URL.encode(plain) == encoded)
            #expect(Base64URL.decode(encoded) == Array(plain.utf8))
        }
        #expect(Base64URL.encode([0xFB, 0xFF, 0xBF]) == "-_-_")
        #expect(Base64URL.decode("-_-_") == [0xFB, 0xFF, 0xBF])
    }

    @Test func base64URLRejectsNonCanonicalInput() {
        #expect(Base64URL.decode("Zg==") == nil)  // padding
        #expect(Base64URL.decode("Zm9v\n") == nil)  // whitespace
        #expect(Base64URL.decode(" Zm9v") == nil)
        #expect(Base64URL.decode("Zm+v") == nil)  // standard alphabet
        #expect(Base64URL.decode("Zm/v") == nil)
        #expect(Base64URL.decode("Z") == nil)  // impossible length
        #expect(Base64URL.decode("Zh") == nil)  // non-zero unused bits ("Zg" is canonical)
        #expect(Base64URL.decode("Zm9") == nil)  // "Zm8" is canonical
        #expect(Base64URL.decode("Zm9v\u{00E9}") == nil)
    }

    @Test func base64StandardAlphabet() {
        #expect(Base64Codec.standard.encode([0xFB, 0xFF, 0xBF]) == "+/+/")
        #expect(Base64Codec.standard.decode(Array("+/+/".utf8)) == [0xFB, 0xFF, 0xBF])
        #expect(Base64Codec.standard.decode(Array("-_-_".utf8)) == nil)
        #expect(Base64Codec.standard.decode(Array("Zm9vYg==".utf8)) == nil)
        #expect(Base64Codec.standard.encode(Array("foobar".utf8)) == "Zm9vYmFy")
    }

    @Test func base64RoundTripsEveryLength() {
        var bytes: [UInt8] = []
        for n in 0..<64 {
            let text = Base64URL.encode(bytes)
            #expect(Base64URL.decode(text) == bytes)
            #expect(Base64Codec.standard.decode(Array(Base64Codec.standard.encode(bytes).utf8)) == bytes)
            bytes.append(UInt8(truncatingIfNeeded: n &* 37 &+ 200))
        }
    }

    @Test func fnv1a64KnownAnswers() {
        // The published FNV-1a 64 test vectors.
        #expect(FNV1a64.hash("") == 0xcbf2_9ce4_8422_2325)
        #expect(FNV1a64.hash("a") == 0xaf63_dc4c_8601_ec8c)
        #expect(FNV1a64.hash("foobar") == 0x8594_4171_f739_67e8)
        #expect(FNV1a64.hash(Array("foobar".utf8)) == FNV1a64.hash("foobar"))
        #expect(FNV1a64.hash("k\u{e9}") == FNV1a64.hash([0x6B, 0xC3, 0xA9]))
    }
}
