import Testing

@testable import AlmanacCore

@Suite struct PercentDecodingTests {
    @Test func plusIsASpaceOnlyInFormData() throws {
        #expect(try PercentDecoding.decode("a+b%20c", plusIsSpace: true) == "a b c")
        #expect(try PercentDecoding.decode("a+b%20c", plusIsSpace: false) == "a+b c")
        #expect(try PercentDecoding.decode("%2B", plusIsSpace: true) == "+")
        #expect(try PercentDecoding.bytes("a+b", plusIsSpace: true) == Array("a b".utf8))
        #expect(try PercentDecoding.bytes("a+b", plusIsSpace: false) == Array("a+b".utf8))
    }

    @Test func escapesOfEitherCaseAndUTF8() throws {
        #expect(try PercentDecoding.decode("s%40cr%3at%3A", plusIsSpace: false) == "s@cr:t:")
        #expect(try PercentDecoding.decode("caf%C3%A9", plusIsSpace: true) == "caf\u{e9}")
        #expect(try PercentDecoding.decode("caf\u{e9}", plusIsSpace: true) == "caf\u{e9}")
        #expect(try PercentDecoding.decode("", plusIsSpace: true) == "")
        // A substring decodes on its own, not its base string.
        let whole = "x=%41&y"
        let value = whole[whole.index(whole.startIndex, offsetBy: 2)..<whole.index(whole.startIndex, offsetBy: 5)]
        #expect(try PercentDecoding.decode(value, plusIsSpace: true) == "A")
    }

    @Test func typedFailures() throws {
        for bad in ["%", "%4", "%zz", "%4g", "a%", "%%41"] {
            #expect(throws: PercentDecoding.Failure.badEscape) { try PercentDecoding.decode(Substring(bad), plusIsSpace: true) }
            #expect(throws: PercentDecoding.Failure.badEscape) { try PercentDecoding.bytes(Substring(bad), plusIsSpace: false) }
        }
        #expect(throws: PercentDecoding.Failure.invalidUTF8) { try PercentDecoding.decode("%FF", plusIsSpace: true) }
        #expect(throws: PercentDecoding.Failure.invalidUTF8) { try PercentDecoding.decode("%C3", plusIsSpace: false) }
        // Bytes are returned as they are.
        #expect(try PercentDecoding.bytes("%FF", plusIsSpace: false) == [0xFF])
    }
}
