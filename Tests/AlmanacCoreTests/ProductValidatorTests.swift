import Testing

@testable import AlmanacCore

@Suite struct ProductValidatorTests {
    let validator = ProductValidator()

    func fields(_ json: String, pathID: String? = "p1") -> [String] {
        let value = try! JSONParser.parse(json)
        do {
            _ = try validator.validate(value, pathID: pathID)
            return []
        } catch {
            return error.fieldErrors.map(\.field)
        }
    }

    @Test func acceptsTheContractExample() throws {
        let json = #"""
            {"id": "libssl3", "title": "libssl3 Secure Sockets Layer toolkit", "description": "...",
             "brand": "Debian OpenSSL Team", "category": ["main", "libs"], "price": 742, "currency": "EUR",
             "in_stock": true, "tags": ["role::shared-lib"], "attributes": {"arch": "amd64", "priority": "optional"},
             "created_at": "2021-03-04T05:06:07Z", "updated_at": "2026-11-23T10:00:00Z", "version": 3}
            """#
        let draft = try validator.validate(try JSONParser.parse(json), pathID: "libssl3")
        #expect(draft.price == 742)
        #expect(draft.category == ["main", "libs"])
        let product = draft.product(createdAt: Timestamp(seconds: 0), updatedAt: Timestamp(seconds: 10), version: 1)
        #expect(product.createdAt.rfc3339 == "2021-03-04T05:06:07Z")
        #expect(product.json["version"] == .int(1))
    }

    @Test func namesEveryBadField() {
        let bad = #"""
            {"title": "", "price": -1, "currency": "EURO", "category": ["a/b", ""], "tags": [1],
             "in_stock": "yes", "attributes": {"x": [1]}, "colour": "red", "created_at": "soon"}
            """#
        let names = fields(bad)
        for field in ["title", "price", "currency", "category[0]", "category[1]", "tags[0]", "in_stock", "attributes.x", "colour", "created_at"] {
            #expect(names.contains(field), "expected an error for \(field), got \(names)")
        }
    }

    @Test func enforcesLimits() {
        #expect(fields(#"{"title":"\#(String(repeating: "x", count: 501))"}"#) == ["title"])
        #expect(fields(#"{"title":"t","price":1.5}"#) == ["price"])
        #expect(fields(#"{"title":"t","category":["a","b","c","d","e","f","g","h","i"]}"#) == ["category"])
        let tags = (0..<65).map { "\"t\($0)\"" }.joined(separator: ",")
        #expect(fields(#"{"title":"t","tags":[\#(tags)]}"#) == ["tags"])
        #expect(fields(#"{"title":"t","id":"other"}"#) == ["id"])
        #expect(fields(#"{"title":"t"}"#, pathID: "bad id") == ["id"])
        #expect(fields(#"{"title":"t"}"#, pathID: nil) == ["id"])
    }

    @Test func idRule() {
        #expect(ProductValidator.isValidID("libc6-dev:amd64~1.0_x"))
        #expect(!ProductValidator.isValidID(""))
        #expect(!ProductValidator.isValidID("a/b"))
        #expect(!ProductValidator.isValidID(String(repeating: "a", count: 129)))
    }

    @Test func changedFields() throws {
        let a = Product(id: "x", title: "A", price: 1, createdAt: .init(seconds: 0), updatedAt: .init(seconds: 0), version: 1)
        var b = a
        b.title = "B"
        b.tags = ["t"]
        b.version = 2
        #expect(b.changedFields(from: a) == ["title", "tags"])
    }
}

@Suite struct EventValidatorTests {
    @Test func flattensAttributesAndDefaultsSeverity() throws {
        let json = #"{"type":"deploy","source":"ci","occurred_at":"2024-01-02T03:04:05+01:00","attributes":{"b":{"c":1,"d":{"e":"x"}},"a":true}}"#
        let draft = try EventValidator().validate(try JSONParser.parse(json))
        #expect(draft.severity == .info)
        #expect(draft.attributes.keys == ["a", "b.c", "b.d.e"])
        #expect(draft.occurredAt.rfc3339 == "2024-01-02T02:04:05Z")
    }

    @Test func rejectsBadFields() {
        let json = #"{"type":"Deploy!","occurred_at":"x","severity":"fatal","entity":{"type":"repo"},"attributes":{"l":[1]},"zzz":1}"#
        let value = try! JSONParser.parse(json)
        do {
            _ = try EventValidator().validate(value)
            Issue.record("expected failure")
        } catch {
            let fields = Set(error.fieldErrors.map(\.field))
            #expect(fields == ["type", "source", "occurred_at", "severity", "entity.id", "attributes.l", "zzz"])
        }
    }
}
