import Testing

@testable import AlmanacCore

@Suite struct JSONParserTests {
    @Test func parsesScalarsAndKeepsIntegersExact() throws {
        #expect(try JSONParser.parse("9007199254740993") == .int(9_007_199_254_740_993))
        #expect(try JSONParser.parse("-0.5") == .double(-0.5))
        #expect(try JSONParser.parse("1e3") == .double(1000))
        #expect(try JSONParser.parse(" true ") == .bool(true))
        #expect(try JSONParser.parse("null") == .null)
        #expect(try JSONParser.parse(#""a\"b\\c\u00e9\ud83d\ude00""#) == .string("a\"b\\cé😀"))
    }

    @Test func keepsObjectOrder() throws {
        let value = try JSONParser.parse(#"{"b":1,"a":[1,2,{"c":null}]}"#)
        #expect(value.objectValue?.keys == ["b", "a"])
        #expect(JSONWriter.string(value) == #"{"b":1,"a":[1,2,{"c":null}]}"#)
    }

    @Test(arguments: [
        ("", "empty body"),
        ("{", "unterminated object"),
        ("{\"a\":1,}", "expected a string key"),
        ("[1,2", "unterminated array"),
        ("{\"a\":1,\"a\":2}", "duplicate key"),
        ("01", "leading zero"),
        ("1.", "expected a digit"),
        ("\"abc", "unterminated string"),
        ("\"a\u{01}\"", "control character"),
        ("\"\\x\"", "invalid escape"),
        ("\"\\ud800\"", "lone surrogate"),
        ("tru", "invalid literal"),
        ("{} x", "unexpected data"),
        ("1e999", "out of range"),
    ])
    func rejectsMalformedInputWithAReason(input: String, reason: String) {
        #expect {
            try JSONParser.parse(input)
        } throws: { error in
            "\(error)".contains(reason)
        }
    }

    @Test func rejectsInvalidUTF8WithItsOffset() {
        let bytes: [UInt8] = Array("{\"a\":\"x".utf8) + [0xC3, 0x28] + Array("\"}".utf8)
        #expect {
            try JSONParser.parse(bytes)
        } throws: { error in
            (error as? JSONParser.Error)?.message.contains("UTF-8") == true
        }
    }

    @Test func limitsNesting() {
        let deep = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        #expect(throws: JSONParser.Error.self) { try JSONParser.parse(deep) }
        let ok = String(repeating: "[", count: 20) + String(repeating: "]", count: 20)
        #expect(throws: Never.self) { try JSONParser.parse(ok) }
    }

    @Test func writerEscapesAndPrintsNumbers() {
        #expect(JSONWriter.string(.string("a\"\n\u{01}é")) == #""a\"\n\u0001é""#)
        #expect(JSONWriter.string(.double(2.0)) == "2")
        #expect(JSONWriter.string(.double(111.1)) == "111.1")
        #expect(JSONWriter.string(.double(.nan)) == "null")
    }

    @Test func objectsCompareWithoutOrder() throws {
        #expect(try JSONParser.parse(#"{"a":1,"b":2}"#) == JSONParser.parse(#"{"b":2,"a":1.0}"#))
        #expect(try JSONParser.parse(#"{"a":1}"#) != JSONParser.parse(#"{"a":1,"b":2}"#))
    }

    @Test func mergePatchFollowsRFC7396() throws {
        let target = try JSONParser.parse(#"{"a":"b","c":{"d":"e","f":"g"}}"#)
        let patch = try JSONParser.parse(#"{"a":"z","c":{"f":null}}"#)
        #expect(MergePatch.apply(patch, to: target) == (try JSONParser.parse(#"{"a":"z","c":{"d":"e"}}"#)))
    }
}

@Suite struct TimestampTests {
    @Test func parsesOffsetsAndFractions() throws {
        #expect(try Timestamp(rfc3339: "1970-01-01T00:00:00Z").microseconds == 0)
        #expect(try Timestamp(rfc3339: "2024-01-02T03:04:05Z").rfc3339 == "2024-01-02T03:04:05Z")
        #expect(try Timestamp(rfc3339: "2024-01-02T05:04:05+02:00").rfc3339 == "2024-01-02T03:04:05Z")
        #expect(try Timestamp(rfc3339: "2024-01-02T03:04:05.250-00:30").rfc3339 == "2024-01-02T03:34:05.25Z")
        #expect(try Timestamp(rfc3339: "1969-12-31T23:59:59.5Z").microseconds == -500_000)
        #expect(try Timestamp(rfc3339: "2024-02-29T00:00:00Z").rfc3339 == "2024-02-29T00:00:00Z")
    }

    @Test(arguments: [
        "2024-02-30T00:00:00Z", "2023-02-29T00:00:00Z", "2024-13-01T00:00:00Z", "2024-01-01T24:00:00Z",
        "2024-01-01", "2024-01-01T00:00:00", "2024-01-01T00:00:00+2:00", "yesterday", "2024-01-01T00:00:00.Z",
    ])
    func rejectsInvalidTimes(text: String) {
        #expect(throws: Timestamp.ParseError.self) { try Timestamp(rfc3339: text) }
    }

    @Test func civilRoundTrip() {
        for days: Int64 in stride(from: -800_000, to: 800_000, by: 997) {
            let (y, m, d) = Timestamp.civil(fromDays: days)
            #expect(Timestamp.days(fromCivil: y, m, d) == days)
        }
    }
}
