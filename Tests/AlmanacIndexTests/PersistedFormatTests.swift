import Testing

@testable import AlmanacIndex
import AlmanacCore

/// Texts that outlive a process: hashed index terms are in every index on disk, cursor
/// fingerprints in every cursor a client holds. These pin them.
@Suite struct PersistedFormatTests {
    @Test func longKeywordTermsCarryTheirFNVHashIn16HexDigits() {
        let long = String(repeating: "x", count: 250) + "3400"
        #expect(Terms.keyword(Terms.brand, long) == "XB:\u{0}#0fbb4a312390105a")
        #expect(Terms.keyword(Terms.brand, String(repeating: "x", count: 300)) == "XB:\u{0}#e78ddf9f1ba85555")
        #expect(Terms.keyword(Terms.brand, "acme") == "XB:acme")
    }

    @Test func cursorFingerprintsAreFNVInRadix36() {
        #expect(Cursor.fingerprint("") == "33niihzj4ux45")
        #expect(Cursor.fingerprint("tenant\u{1F}q=kettle") == "r0v0fips0ytz")
    }

    @Test func cursorTextsOfBothSchemes() throws {
        let search = Cursor(fingerprint: "x", key: [1, 2], offset: 37, lastID: nil)
        #expect(search.encoded == "eyJmIjoieCIsImsiOiJBUUkiLCJvIjozN30")  // {"f":"x","k":"AQI","o":37}
        let relevance = Cursor(fingerprint: "x", key: nil, offset: 20, lastID: "p-9")
        #expect(relevance.encoded == "eyJmIjoieCIsIm8iOjIwLCJpIjoicC05In0")  // {"f":"x","o":20,"i":"p-9"}
        let timeline = Cursor(fingerprint: "x", key: [1, 2], time: 1_700_000_000_000_000, lastID: "evt_1")
        // {"f":"x","k":"AQI","t":1700000000000000,"i":"evt_1"}
        #expect(timeline.encoded == "eyJmIjoieCIsImsiOiJBUUkiLCJ0IjoxNzAwMDAwMDAwMDAwMDAwLCJpIjoiZXZ0XzEifQ")

        #expect(try Cursor.decode(search.encoded, fingerprint: "x") == search)
        #expect(try Cursor.decode(relevance.encoded, fingerprint: "x") == relevance)
        #expect(try Cursor.decode(timeline.encoded, fingerprint: "x", scheme: .timeline) == timeline)
    }

    @Test func everyIssuedCursorDecodes() throws {
        var rng = SystemRandomNumberGenerator()
        for n in 0..<200 {
            let key = (0..<(n % 40)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let id = String(n) + "\u{e9}\"/"
            let a = Cursor(fingerprint: Cursor.fingerprint(id), key: key, offset: n, lastID: n % 2 == 0 ? id : nil)
            #expect(try Cursor.decode(a.encoded, fingerprint: a.fingerprint) == a)
            let b = Cursor(fingerprint: a.fingerprint, key: key, time: Int64(n) * -7_777_777, lastID: id)
            #expect(try Cursor.decode(b.encoded, fingerprint: b.fingerprint, scheme: .timeline) == b)
        }
    }

    @Test func cursorErrorsNameEachSchemesParameters() {
        func message(_ text: String, _ fingerprint: String, _ scheme: Cursor.Scheme) -> String? {
            do {
                _ = try Cursor.decode(text, fingerprint: fingerprint, scheme: scheme)
                return nil
            } catch {
                return error.fieldErrors.first?.message
            }
        }
        let search = Cursor(fingerprint: "x", key: nil, offset: 5, lastID: nil).encoded
        let timeline = Cursor(fingerprint: "x", key: [9], time: 5, lastID: "e").encoded
        #expect(message(search, "y", .search) == "belongs to a different query; keep q, filter, sort and facets as they were")
        #expect(message(timeline, "y", .timeline) == "belongs to a different query; keep q, filter, from, to and sort as they were")
        let broken = "is not a cursor this server issued (use page.next_cursor as given)"
        // A cursor of the other scheme is no cursor at all, whatever its query.
        #expect(message(search, "x", .timeline) == broken)
        #expect(message(timeline, "x", .search) == broken)
        #expect(message(timeline, "y", .search) == broken)
        #expect(message("garbage!", "x", .search) == broken)
        #expect(message("eyJmIjoieCIsIm8iOjB9", "x", .search) == nil)  // {"f":"x","o":0}
        #expect(message("eyJmIjoieCIsIm8iOjB9", "y", .search) == "belongs to a different query; keep q, filter, sort and facets as they were")
        // Non-canonical base64url (non-zero unused bits in the last character) is refused:
        // "…N30" is canonical, "…N31" spells the same bytes.
        let canonical = Cursor(fingerprint: "x", key: [1, 2], offset: 37, lastID: nil).encoded
        #expect(canonical.hasSuffix("N30"))
        #expect(message(canonical, "x", .search) == nil)
        #expect(message(canonical.dropLast() + "1", "x", .search) == broken)
    }
}
