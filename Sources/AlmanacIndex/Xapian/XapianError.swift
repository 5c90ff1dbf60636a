public import AlmanacCore
import CXapian

/// A failure reported by Xapian (or by the CXapian bridge), thrown by every fallible call of
/// the Xapian wrapper.
public struct XapianError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong, coarsely. Open for new cases: switch with a `default`.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: Hashable, Sendable {
            case databaseModified, databaseLocked, databaseOpening, databaseCorrupt
            case databaseClosed, databaseCreate, database, documentNotFound
            case invalidArgument, invalidOperation, wildcardExpansion, unimplemented
            case outOfMemory, other
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The revision being read was overwritten by a writer: reopen and retry.
        public static let databaseModified = Code(.databaseModified)
        /// Another writer holds the database's lock.
        public static let databaseLocked = Code(.databaseLocked)
        /// The database could not be opened (missing, unreadable, wrong version).
        public static let databaseOpening = Code(.databaseOpening)
        public static let databaseCorrupt = Code(.databaseCorrupt)
        /// The handle was closed.
        public static let databaseClosed = Code(.databaseClosed)
        /// The database could not be created (e.g. its parent directory is missing).
        public static let databaseCreate = Code(.databaseCreate)
        /// Another database error, typically I/O.
        public static let database = Code(.database)
        public static let documentNotFound = Code(.documentNotFound)
        public static let invalidArgument = Code(.invalidArgument)
        public static let invalidOperation = Code(.invalidOperation)
        /// A wildcard with the `.error` limit matched more terms than allowed.
        public static let wildcardExpansion = Code(.wildcardExpansion)
        public static let unimplemented = Code(.unimplemented)
        public static let outOfMemory = Code(.outOfMemory)
        public static let other = Code(.other)

        init(_ c: cxapian_error_code) {
            switch c {
            case CXAPIAN_ERR_DATABASE_MODIFIED: self = .databaseModified
            case CXAPIAN_ERR_DATABASE_LOCKED: self = .databaseLocked
            case CXAPIAN_ERR_DATABASE_OPENING: self = .databaseOpening
            case CXAPIAN_ERR_DATABASE_CORRUPT: self = .databaseCorrupt
            case CXAPIAN_ERR_DATABASE_CLOSED: self = .databaseClosed
            case CXAPIAN_ERR_DATABASE_CREATE: self = .databaseCreate
            case CXAPIAN_ERR_DATABASE: self = .database
            case CXAPIAN_ERR_DOCUMENT_NOT_FOUND: self = .documentNotFound
            case CXAPIAN_ERR_INVALID_ARGUMENT: self = .invalidArgument
            case CXAPIAN_ERR_INVALID_OPERATION: self = .invalidOperation
            case CXAPIAN_ERR_WILDCARD: self = .wildcardExpansion
            case CXAPIAN_ERR_UNIMPLEMENTED: self = .unimplemented
            case CXAPIAN_ERR_OUT_OF_MEMORY: self = .outOfMemory
            default: self = .other
            }
        }

        public var description: String { "\(base)" }
    }

    public let code: Code
    /// Xapian's error class ("DatabaseLockError", "DatabaseNotFoundError", ...).
    public let type: String
    public let message: String
    /// What the wrapper was doing, e.g. "open /data/index/products".
    public let context: String?

    public init(code: Code, type: String, message: String, context: String? = nil) {
        self.code = code
        self.type = type
        self.message = message
        self.context = context
    }

    public var description: String {
        if let context { return "\(type) (\(code)) in \(context): \(message)" }
        return "\(type) (\(code)): \(message)"
    }
}

extension XapianError: StorageFaultDescribing {
    /// Xapian reports a failed write with the C library's text for its errno
    /// ("Error writing block (No space left on device)").
    public var storageFaultKind: StorageFaultKind? { StorageFaultKind(message: message) }
}

/// The one place a CXapian error becomes a Swift error: runs `body` with a fresh
/// `cxapian_error` and throws if the C call reported a failure.
@inline(__always)
func xapianCall<R>(
    _ context: @autoclosure () -> String? = nil,
    _ body: (UnsafeMutablePointer<cxapian_error>) -> R
) throws(XapianError) -> R {
    var err = cxapian_error()
    let result = body(&err)
    if err.code != CXAPIAN_OK {
        let message = err.message.map { String(cString: $0) } ?? ""
        let type = err.type.map { String(cString: $0) } ?? "unknown"
        let code = XapianError.Code(err.code)
        cxapian_error_clear(&err)
        throw XapianError(code: code, type: type, message: message, context: context())
    }
    return result
}

/// `xapianCall` for functions returning a new handle (NULL on failure).
@inline(__always)
func xapianHandle(
    _ context: @autoclosure () -> String? = nil,
    _ body: (UnsafeMutablePointer<cxapian_error>) -> OpaquePointer?
) throws(XapianError) -> OpaquePointer {
    guard let handle = try xapianCall(context(), body) else {
        throw XapianError(code: .other, type: "unknown", message: "NULL handle", context: context())
    }
    return handle
}

/// For calls that can fail only when memory runs out: like Swift's own allocations, that
/// is fatal.
@inline(__always)
func xapianMust<R>(_ what: StaticString, _ body: (UnsafeMutablePointer<cxapian_error>) -> R) -> R {
    do {
        return try xapianCall(nil, body)
    } catch {
        fatalError("\(what): \(error)")
    }
}
