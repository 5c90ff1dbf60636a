/// A timeline event (API.md, "Timeline").
public struct Event: Sendable, Equatable {
    public enum Severity: String, Sendable, CaseIterable {
        case debug, info, warn, error
    }

    public struct Entity: Sendable, Hashable {
        public var type: String
        public var id: String
        public init(type: String, id: String) {
            self.type = type
            self.id = id
        }
    }

    public var id: String
    public var type: String
    public var source: String
    public var occurredAt: Timestamp
    public var actor: String?
    public var entity: Entity?
    public var severity: Severity
    public var message: String?
    /// Flattened (dotted keys), sorted by key.
    public var attributes: JSONObject
    public var receivedAt: Timestamp
    public var seq: Int64

    public init(
        id: String, type: String, source: String, occurredAt: Timestamp, actor: String? = nil, entity: Entity? = nil,
        severity: Severity = .info, message: String? = nil, attributes: JSONObject = JSONObject(),
        receivedAt: Timestamp, seq: Int64
    ) {
        self.id = id
        self.type = type
        self.source = source
        self.occurredAt = occurredAt
        self.actor = actor
        self.entity = entity
        self.severity = severity
        self.message = message
        self.attributes = attributes
        self.receivedAt = receivedAt
        self.seq = seq
    }

    public static let fieldNames = [
        "id", "type", "source", "occurred_at", "actor", "entity", "severity", "message", "attributes",
        "received_at", "seq",
    ]

    /// The content a client controls: what idempotency compares (no `received_at`, no `seq`).
    public var contentJSON: JSONValue {
        var o = JSONObject()
        o["id"] = .string(id)
        o["type"] = .string(type)
        o["source"] = .string(source)
        o["occurred_at"] = .string(occurredAt.rfc3339)
        if let actor { o["actor"] = .string(actor) }
        if let entity { o["entity"] = ["type": .string(entity.type), "id": .string(entity.id)] }
        o["severity"] = .string(severity.rawValue)
        if let message { o["message"] = .string(message) }
        if !attributes.isEmpty { o["attributes"] = .object(attributes) }
        return .object(o)
    }

    public var json: JSONValue {
        guard case .object(var o) = contentJSON else { return contentJSON }
        o["received_at"] = .string(receivedAt.rfc3339)
        o["seq"] = .int(seq)
        return .object(o)
    }

    public var jsonBytes: [UInt8] { JSONWriter.encode(json) }

    /// Reads an event the server stored (its own JSON).
    public init(storedJSON value: JSONValue) throws(AlmanacError) {
        let draft = try EventValidator().validate(value)
        guard let received = value["received_at"]?.stringValue, let receivedAt = try? Timestamp(rfc3339: received),
            let seq = value["seq"]?.integerValue
        else { throw AlmanacError(.internalError, "stored event lacks received_at/seq") }
        self = draft.event(id: draft.id ?? "", receivedAt: receivedAt, seq: seq)
    }
}

/// Checks an event body against API.md and flattens nested attributes.
public struct EventValidator: Sendable {
    public struct Limits: Sendable {
        public var idMax = 200
        public var sourceMax = 200
        public var actorMax = 200
        public var entityFieldMax = 200
        public var messageMax = 20_000
        public var attributesMax = 64
        public var attributeKeyMax = 128
        public var attributeValueMax = 1000
        public init() {}
    }

    public var limits: Limits
    public init(limits: Limits = Limits()) { self.limits = limits }

    public struct Draft: Sendable, Equatable {
        public var id: String?
        public var type: String
        public var source: String
        public var occurredAt: Timestamp
        public var actor: String?
        public var entity: Event.Entity?
        public var severity: Event.Severity
        public var message: String?
        public var attributes: JSONObject

        public func event(id: String, receivedAt: Timestamp, seq: Int64) -> Event {
            Event(
                id: id, type: type, source: source, occurredAt: occurredAt, actor: actor, entity: entity,
                severity: severity, message: message, attributes: attributes, receivedAt: receivedAt, seq: seq)
        }
    }

    public static func isValidType(_ s: String) -> Bool {
        let utf8 = s.utf8
        guard (1...64).contains(utf8.count) else { return false }
        return utf8.allSatisfy { b in
            (b >= UInt8(ascii: "a") && b <= UInt8(ascii: "z")) || (b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9"))
                || b == UInt8(ascii: "_") || b == UInt8(ascii: ".") || b == UInt8(ascii: "-")
        }
    }

    public func validate(_ value: JSONValue) throws(AlmanacError) -> Draft {
        guard case .object(let object) = value else {
            throw AlmanacError(.validation, "an event must be a JSON object, got \(value.typeDescription)",
                fieldErrors: [.init(field: "", message: "must be an object")])
        }
        var errors: [AlmanacError.FieldError] = []
        func fail(_ field: String, _ message: String) { errors.append(.init(field: field, message: message)) }
        for entry in object where !Event.fieldNames.contains(entry.key) { fail(entry.key, "unknown field") }

        func text(_ field: String, required: Bool, max: Int) -> String? {
            switch object[field] {
            case nil, .null?:
                if required { fail(field, "required") }
                return nil
            case .string(let s)?:
                if s.isEmpty {
                    fail(field, "must not be empty")
                    return nil
                }
                if s.unicodeScalars.count > max {
                    fail(field, "at most \(max) characters, got \(s.unicodeScalars.count)")
                    return nil
                }
                return s
            case let other?:
                fail(field, "must be a string, got \(other.typeDescription)")
                return nil
            }
        }

        let id = text("id", required: false, max: limits.idMax)
        if let id, let reserved = ReservedIDs.problem(id, names: ReservedIDs.eventNames) { fail("id", reserved) }
        var type = ""
        switch object["type"] {
        case nil, .null?: fail("type", "required")
        case .string(let s)?:
            if Self.isValidType(s) { type = s } else { fail("type", "must be 1-64 characters of a-z 0-9 _ . -") }
        case let other?: fail("type", "must be a string, got \(other.typeDescription)")
        }
        let source = text("source", required: true, max: limits.sourceMax)
        var occurredAt = Timestamp(microseconds: 0)
        switch object["occurred_at"] {
        case nil, .null?: fail("occurred_at", "required")
        case .string(let s)?:
            do { occurredAt = try Timestamp(rfc3339: s) } catch { fail("occurred_at", error.message) }
        case let other?: fail("occurred_at", "must be an RFC 3339 time string, got \(other.typeDescription)")
        }
        let actor = text("actor", required: false, max: limits.actorMax)
        var entity: Event.Entity?
        switch object["entity"] {
        case nil, .null?: break
        case .object(let e)?:
            for entry in e where entry.key != "type" && entry.key != "id" { fail("entity.\(entry.key)", "unknown field") }
            var parts: [String] = []
            for key in ["type", "id"] {
                switch e[key] {
                case .string(let s)? where !s.isEmpty && s.unicodeScalars.count <= limits.entityFieldMax: parts.append(s)
                case .string(let s)?:
                    fail("entity.\(key)", s.isEmpty ? "must not be empty" : "at most \(limits.entityFieldMax) characters")
                case nil, .null?: fail("entity.\(key)", "required")
                case let other?: fail("entity.\(key)", "must be a string, got \(other.typeDescription)")
                }
            }
            if parts.count == 2 { entity = Event.Entity(type: parts[0], id: parts[1]) }
        case let other?: fail("entity", "must be an object with type and id, got \(other.typeDescription)")
        }
        var severity = Event.Severity.info
        switch object["severity"] {
        case nil, .null?: break
        case .string(let s)?:
            if let v = Event.Severity(rawValue: s) { severity = v } else { fail("severity", "must be one of debug, info, warn, error") }
        case let other?: fail("severity", "must be a string, got \(other.typeDescription)")
        }
        var message: String?
        switch object["message"] {
        case nil, .null?: break
        case .string(let s)?:
            if s.unicodeScalars.count > limits.messageMax { fail("message", "at most \(limits.messageMax) characters") } else { message = s }
        case let other?: fail("message", "must be a string, got \(other.typeDescription)")
        }
        var attributes = JSONObject()
        switch object["attributes"] {
        case nil, .null?: break
        case .object(let attrs)?:
            var flat: [(String, JSONValue)] = []
            flatten(attrs, prefix: "", into: &flat, errors: &errors, depth: 0)
            if flat.count > limits.attributesMax {
                fail("attributes", "at most \(limits.attributesMax) keys after flattening, got \(flat.count)")
            }
            flat.sort { $0.0 < $1.0 }
            var seen = Set<String>()
            for (key, _) in flat where !seen.insert(key).inserted { fail("attributes.\(key)", "appears twice after flattening") }
            attributes = JSONObject(flat)
        case let other?: fail("attributes", "must be an object, got \(other.typeDescription)")
        }
        _ = object["received_at"]  // server's: accepted and ignored
        if !errors.isEmpty { throw AlmanacError.validation(errors) }
        return Draft(
            id: id, type: type, source: source ?? "", occurredAt: occurredAt, actor: actor, entity: entity,
            severity: severity, message: message, attributes: attributes)
    }

    private func flatten(
        _ object: JSONObject, prefix: String, into out: inout [(String, JSONValue)],
        errors: inout [AlmanacError.FieldError], depth: Int
    ) {
        for entry in object {
            let key = prefix.isEmpty ? entry.key : prefix + "." + entry.key
            let field = "attributes.\(key)"
            if entry.key.isEmpty {
                errors.append(.init(field: field, message: "keys must not be empty"))
                continue
            }
            switch entry.value {
            case .object(let nested):
                if depth >= 8 {
                    errors.append(.init(field: field, message: "nested deeper than 8 levels"))
                } else {
                    flatten(nested, prefix: key, into: &out, errors: &errors, depth: depth + 1)
                }
            case .string(let s):
                if s.unicodeScalars.count > limits.attributeValueMax {
                    errors.append(.init(field: field, message: "at most \(limits.attributeValueMax) characters"))
                } else {
                    out.append((key, entry.value))
                }
            case .int, .double, .bool:
                if key.unicodeScalars.count > limits.attributeKeyMax {
                    errors.append(.init(field: field, message: "key longer than \(limits.attributeKeyMax) characters"))
                } else {
                    out.append((key, entry.value))
                }
            default:
                errors.append(.init(field: field, message: "must be a string, number, boolean or object, got \(entry.value.typeDescription)"))
            }
        }
    }
}
