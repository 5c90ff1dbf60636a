/// The one error type that crosses module boundaries on its way to a client.
///
/// The HTTP edge turns it into an RFC 9457 problem document. `code` is a struct over a
/// private set of cases so new codes can be added without breaking switch statements.
public struct AlmanacError: Error, Sendable, CustomStringConvertible, StorageFaultDescribing {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// HTTP status this code maps to.
        public let status: Int
        /// Short slug used in the problem `type` URI.
        public let slug: String
        /// Human title of the problem type.
        public let title: String

        private init(_ status: Int, _ slug: String, _ title: String) {
            self.status = status
            self.slug = slug
            self.title = title
        }

        public var description: String { slug }

        public static let badRequest = Code(400, "bad-request", "Bad request")
        public static let malformedJSON = Code(400, "malformed-json", "Malformed JSON")
        public static let validation = Code(400, "validation-failed", "Validation failed")
        public static let invalidFilter = Code(400, "invalid-filter", "Invalid filter")
        public static let invalidParameter = Code(400, "invalid-parameter", "Invalid parameter")
        public static let unauthorized = Code(401, "unauthorized", "Unauthorized")
        public static let forbidden = Code(403, "forbidden", "Forbidden")
        public static let notFound = Code(404, "not-found", "Not found")
        public static let methodNotAllowed = Code(405, "method-not-allowed", "Method not allowed")
        public static let conflict = Code(409, "conflict", "Conflict")
        public static let preconditionFailed = Code(412, "precondition-failed", "Precondition failed")
        public static let payloadTooLarge = Code(413, "payload-too-large", "Payload too large")
        public static let unsupportedMediaType = Code(415, "unsupported-media-type", "Unsupported media type")
        public static let tooManyRequests = Code(429, "too-many-requests", "Too many requests")
        public static let internalError = Code(500, "internal", "Internal server error")
        public static let unavailable = Code(503, "unavailable", "Service unavailable")
        /// The store or an index cannot take the write: its filesystem is full, over quota,
        /// or failing (RFC 4918's 507). The detail names which.
        public static let insufficientStorage = Code(507, "insufficient-storage", "Insufficient storage")
    }

    public struct FieldError: Sendable, Equatable, CustomStringConvertible {
        public var field: String
        public var message: String
        public init(field: String, message: String) {
            self.field = field
            self.message = message
        }
        public var description: String { "\(field): \(message)" }
    }

    public var code: Code
    public var detail: String
    public var fieldErrors: [FieldError]
    /// Seconds a client should wait before retrying (429, 503).
    public var retryAfter: Int?
    /// For `insufficientStorage`: what kind of storage fault it is.
    public var storageFault: StorageFaultKind?

    public init(
        _ code: Code, _ detail: String, fieldErrors: [FieldError] = [], retryAfter: Int? = nil, storageFault: StorageFaultKind? = nil
    ) {
        self.code = code
        self.detail = detail
        self.fieldErrors = fieldErrors
        self.retryAfter = retryAfter
        self.storageFault = storageFault ?? (code == .insufficientStorage ? .full : nil)
    }

    public var description: String {
        fieldErrors.isEmpty ? "\(code): \(detail)" : "\(code): \(detail) [\(fieldErrors.map(\.description).joined(separator: "; "))]"
    }

    public static func validation(_ errors: [FieldError]) -> AlmanacError {
        let detail = errors.count == 1 ? "\(errors[0].field): \(errors[0].message)" : "\(errors.count) fields are invalid: " + errors.map(\.description).joined(separator: "; ")
        return AlmanacError(.validation, detail, fieldErrors: errors)
    }

    public static func invalidParameter(_ name: String, _ message: String) -> AlmanacError {
        AlmanacError(.invalidParameter, "\(name): \(message)", fieldErrors: [FieldError(field: name, message: message)])
    }

    public static func notFound(_ detail: String) -> AlmanacError { AlmanacError(.notFound, detail) }

    /// A 507 naming what could not be written (`what`: "the store (/data/almanac.sqlite3)").
    public static func insufficientStorage(_ what: String, _ kind: StorageFaultKind, cause: String? = nil) -> AlmanacError {
        var detail = "\(what) cannot take writes: \(kind)"
        if let cause { detail += " (\(cause))" }
        return AlmanacError(.insufficientStorage, detail, storageFault: kind)
    }

    public static func malformedJSON(_ error: JSONParser.Error) -> AlmanacError {
        AlmanacError(.malformedJSON, "malformed JSON: \(error.description)")
    }
}

extension AlmanacError {
    public var storageFaultKind: StorageFaultKind? { code == .insufficientStorage ? storageFault : nil }
}
