import AlmanacCore
import Testing

/// Ids that would collide with the API's own paths are refused, naming the rule.
@Suite struct ReservedIDTests {
    @Test func productIDsThatNameAPIPathsAreRefused() throws {
        let validator = ProductValidator()
        for id in ["search", "_bulk", "_", "_anything"] {
            #expect(throws: AlmanacError.self) { try validator.validate(["title": "x"], pathID: id) }
            #expect(throws: AlmanacError.self) { try validator.validate(["id": .string(id), "title": "x"], pathID: nil) }
            #expect(ProductValidator.reservedIDProblem(id) != nil)
        }
        do {
            _ = try validator.validate(["id": "search", "title": "x"], pathID: nil)
        } catch {
            #expect(error.fieldErrors.map(\.field) == ["id"])
            #expect(error.detail.contains("'search' is reserved: an id may not start with '_' nor be 'search'"), "\(error.detail)")
        }
        // Near misses are fine, and "aggregate" names no product path.
        for id in ["Search", "searches", "a_bulk", "aggregate", "x_"] {
            #expect(ProductValidator.reservedIDProblem(id) == nil)
            #expect(try validator.validate(["title": "x"], pathID: id).id == id)
        }
    }

    @Test func eventIDsThatNameAPIPathsAreRefused() throws {
        let validator = EventValidator()
        let base: [(String, JSONValue)] = [("type", "t"), ("source", "s"), ("occurred_at", "2026-01-01T00:00:00Z")]
        func event(_ id: String) -> JSONValue { .object(JSONObject(base + [("id", .string(id))])) }
        for id in ["search", "aggregate", "_bulk", "_x"] {
            #expect(throws: AlmanacError.self) { try validator.validate(event(id)) }
        }
        #expect(try validator.validate(event("apple/swift-nio:5f2c9e1")).id == "apple/swift-nio:5f2c9e1")
    }
}
