/// Turns a client's JSON into a `Product`, checking every rule of API.md and naming
/// each failing field. All problems are reported together, not just the first.
public struct ProductValidator: Sendable {
    public struct Limits: Sendable {
        public var titleMax = 500
        public var descriptionMax = 20_000
        public var brandMax = 500
        public var categorySegmentsMax = 8
        public var segmentMax = 200
        public var tagsMax = 64
        public var tagMax = 200
        public var attributesMax = 64
        public var attributeKeyMax = 128
        public var attributeValueMax = 1000
        public init() {}
    }

    public var limits: Limits

    public init(limits: Limits = Limits()) { self.limits = limits }

    /// What a validated body holds; the server adds timestamps and version.
    public struct Draft: Sendable, Equatable {
        public var id: String
        public var title: String
        public var description: String?
        public var brand: String?
        public var category: [String]?
        public var price: Int64?
        public var currency: String?
        public var inStock: Bool?
        public var tags: [String]?
        public var attributes: JSONObject?
        public var createdAt: Timestamp?

        public func product(createdAt fallback: Timestamp, updatedAt: Timestamp, version: Int64) -> Product {
            Product(
                id: id, title: title, description: description, brand: brand, category: category, price: price,
                currency: currency, inStock: inStock, tags: tags, attributes: attributes,
                createdAt: createdAt ?? fallback, updatedAt: updatedAt, version: version)
        }
    }

    public static func isValidID(_ id: String) -> Bool {
        let utf8 = id.utf8
        guard (1...128).contains(utf8.count) else { return false }
        for b in utf8 {
            switch b {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: ":"),
                UInt8(ascii: "~"), UInt8(ascii: "-"):
                continue
            default: return false
            }
        }
        return true
    }

    public static let idRule = "must be 1-128 characters of A-Z a-z 0-9 . _ : ~ -"

    /// Why `id` cannot name a product (it would collide with `/v1/products/search` or
    /// `/v1/products/_bulk`), or nil when it can.
    public static func reservedIDProblem(_ id: String) -> String? {
        ReservedIDs.problem(id, names: ReservedIDs.productNames)
    }

    /// Validates a product body. `pathID` is the id from the URL (the body's `id`, when
    /// present, must agree); nil for bulk lines, where the body's `id` is required.
    public func validate(_ value: JSONValue, pathID: String?) throws(AlmanacError) -> Draft {
        guard case .object(let object) = value else {
            throw AlmanacError(.validation, "a product must be a JSON object, got \(value.typeDescription)",
                fieldErrors: [.init(field: "", message: "must be an object")])
        }
        var errors: [AlmanacError.FieldError] = []
        func fail(_ field: String, _ message: String) { errors.append(.init(field: field, message: message)) }

        for entry in object where !Product.fieldNames.contains(entry.key) {
            fail(entry.key, "unknown field")
        }

        // id
        var id = pathID ?? ""
        switch object["id"] {
        case nil, .null?:
            if pathID == nil { fail("id", "required") }
        case .string(let s)?:
            if !Self.isValidID(s) {
                fail("id", Self.idRule)
            } else if pathID == nil, let reserved = Self.reservedIDProblem(s) {
                fail("id", reserved)
            } else if let pathID, pathID != s {
                fail("id", "does not match the id in the path ('\(pathID)')")
            } else {
                id = s
            }
        case let other?:
            fail("id", "must be a string, got \(other.typeDescription)")
        }
        if let pathID, !Self.isValidID(pathID) {
            fail("id", Self.idRule)
        } else if let pathID, let reserved = Self.reservedIDProblem(pathID) {
            fail("id", reserved)
        }

        let title = string(object, "title", required: true, max: limits.titleMax, nonEmpty: true, &errors)
        let description = string(object, "description", required: false, max: limits.descriptionMax, nonEmpty: false, &errors)
        let brand = string(object, "brand", required: false, max: limits.brandMax, nonEmpty: false, &errors)

        var category: [String]?
        switch object["category"] {
        case nil, .null?: break
        case .array(let items)?:
            if items.count > limits.categorySegmentsMax {
                fail("category", "at most \(limits.categorySegmentsMax) segments, got \(items.count)")
            } else {
                var segments: [String] = []
                for (i, item) in items.enumerated() {
                    guard case .string(let s) = item else {
                        fail("category[\(i)]", "must be a string, got \(item.typeDescription)")
                        continue
                    }
                    if s.isEmpty {
                        fail("category[\(i)]", "must not be empty")
                    } else if s.utf8.contains(UInt8(ascii: "/")) {
                        fail("category[\(i)]", "must not contain '/'")
                    } else if s.unicodeScalars.count > limits.segmentMax {
                        fail("category[\(i)]", "at most \(limits.segmentMax) characters")
                    } else {
                        segments.append(s)
                    }
                }
                category = segments
            }
        case let other?:
            fail("category", "must be an array of strings, got \(other.typeDescription)")
        }

        var price: Int64?
        switch object["price"] {
        case nil, .null?: break
        case .int(let i)?:
            if i < 0 { fail("price", "must be >= 0") } else { price = i }
        case .double(let d)?:
            if d < 0 {
                fail("price", "must be >= 0")
            } else if let i = JSONValue.double(d).integerValue {
                price = i
            } else {
                fail("price", "must be an integer (minor units), got \(d)")
            }
        case let other?:
            fail("price", "must be an integer (minor units), got \(other.typeDescription)")
        }

        var currency: String?
        switch object["currency"] {
        case nil, .null?: break
        case .string(let s)?:
            if ISO4217.codes.contains(s) { currency = s } else { fail("currency", "must be an ISO 4217 code such as EUR, got '\(s.prefix(16))'") }
        case let other?:
            fail("currency", "must be a string, got \(other.typeDescription)")
        }

        var inStock: Bool?
        switch object["in_stock"] {
        case nil, .null?: break
        case .bool(let b)?: inStock = b
        case let other?: fail("in_stock", "must be a boolean, got \(other.typeDescription)")
        }

        var tags: [String]?
        switch object["tags"] {
        case nil, .null?: break
        case .array(let items)?:
            if items.count > limits.tagsMax {
                fail("tags", "at most \(limits.tagsMax) tags, got \(items.count)")
            } else {
                var out: [String] = []
                for (i, item) in items.enumerated() {
                    guard case .string(let s) = item else {
                        fail("tags[\(i)]", "must be a string, got \(item.typeDescription)")
                        continue
                    }
                    if s.isEmpty {
                        fail("tags[\(i)]", "must not be empty")
                    } else if s.unicodeScalars.count > limits.tagMax {
                        fail("tags[\(i)]", "at most \(limits.tagMax) characters")
                    } else {
                        out.append(s)
                    }
                }
                tags = out
            }
        case let other?:
            fail("tags", "must be an array of strings, got \(other.typeDescription)")
        }

        var attributes: JSONObject?
        switch object["attributes"] {
        case nil, .null?: break
        case .object(let attrs)?:
            if attrs.count > limits.attributesMax {
                fail("attributes", "at most \(limits.attributesMax) keys, got \(attrs.count)")
            } else {
                for entry in attrs {
                    let field = "attributes.\(entry.key)"
                    if entry.key.isEmpty || entry.key.unicodeScalars.count > limits.attributeKeyMax {
                        fail(field, "keys must be 1-\(limits.attributeKeyMax) characters")
                        continue
                    }
                    switch entry.value {
                    case .string(let s):
                        if s.unicodeScalars.count > limits.attributeValueMax {
                            fail(field, "at most \(limits.attributeValueMax) characters")
                        }
                    case .int, .double, .bool: break
                    default: fail(field, "must be a string, number or boolean, got \(entry.value.typeDescription)")
                    }
                }
                attributes = attrs
            }
        case let other?:
            fail("attributes", "must be an object, got \(other.typeDescription)")
        }

        var createdAt: Timestamp?
        switch object["created_at"] {
        case nil, .null?: break
        case .string(let s)?:
            do { createdAt = try Timestamp(rfc3339: s) } catch { fail("created_at", error.message) }
        case let other?:
            fail("created_at", "must be an RFC 3339 time string, got \(other.typeDescription)")
        }
        // `updated_at` and `version` are the server's: accepted (so a GET body can be PUT back) and ignored.
        if let v = object["version"], !v.isNull, v.integerValue == nil { fail("version", "must be an integer") }

        if !errors.isEmpty { throw AlmanacError.validation(errors) }
        return Draft(
            id: id, title: title ?? "", description: description, brand: brand, category: category, price: price,
            currency: currency, inStock: inStock, tags: tags, attributes: attributes, createdAt: createdAt)
    }

    private func string(
        _ object: JSONObject, _ field: String, required: Bool, max: Int, nonEmpty: Bool,
        _ errors: inout [AlmanacError.FieldError]
    ) -> String? {
        switch object[field] {
        case nil, .null?:
            if required { errors.append(.init(field: field, message: "required")) }
            return nil
        case .string(let s)?:
            if nonEmpty && s.allSatisfy(\.isWhitespace) {
                errors.append(.init(field: field, message: "must not be empty"))
                return nil
            }
            if s.unicodeScalars.count > max {
                errors.append(.init(field: field, message: "at most \(max) characters, got \(s.unicodeScalars.count)"))
                return nil
            }
            return s
        case let other?:
            errors.append(.init(field: field, message: "must be a string, got \(other.typeDescription)"))
            return nil
        }
    }
}

extension Product {
    /// Reads a stored product (the server's own JSON); trusts its shape.
    public init(storedJSON value: JSONValue) throws(AlmanacError) {
        let draft = try ProductValidator().validate(value, pathID: nil)
        guard let updated = value["updated_at"]?.stringValue, let updatedAt = try? Timestamp(rfc3339: updated),
            let version = value["version"]?.integerValue
        else { throw AlmanacError(.internalError, "stored product \(draft.id) lacks updated_at/version") }
        self = draft.product(createdAt: draft.createdAt ?? updatedAt, updatedAt: updatedAt, version: version)
    }
}

/// Ids the API's own paths use, refused for records so every record stays reachable at
/// `/v1/products/{id}` and `/v1/events/{id}` (API.md): anything starting with `_` (`_bulk`
/// and future ones) and the static path names beside `{id}`.
public enum ReservedIDs {
    /// `/v1/products/search`.
    public static let productNames: Set<String> = ["search"]
    /// `/v1/events/search`, `/v1/events/aggregate`.
    public static let eventNames: Set<String> = ["search", "aggregate"]

    public static func problem(_ id: String, names: Set<String>) -> String? {
        guard id.hasPrefix("_") || names.contains(id) else { return nil }
        let listed = names.sorted().map { "'\($0)'" }.joined(separator: ", ")
        return "'\(id.prefix(64))' is reserved: an id may not start with '_' nor be \(listed) (those name API paths)"
    }
}
