/// An error from the Redis client: a connection problem, a server error reply, the
/// circuit breaker failing fast, or a malformed URL.
///
/// `code` is a struct over a private set of cases so new codes can be added later.
public struct RedisError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case connectFailed = "connect failed"
            case io = "I/O error"
            case protocolError = "protocol error"
            case serverError = "server error"
            case unexpectedReply = "unexpected reply"
            case down = "redis down"
            case poolClosed = "pool closed"
            case invalidURL = "invalid URL"
            case invalidArgument = "invalid argument"
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        public var description: String { base.rawValue }

        /// Could not connect, authenticate or select the database.
        public static let connectFailed = Code(.connectFailed)
        /// Read or write failed on an established connection (includes timeouts and EOF).
        public static let io = Code(.io)
        /// hiredis could not parse the server's reply, or another hiredis-internal error.
        public static let protocolError = Code(.protocolError)
        /// The server answered with an error reply (`-ERR ...`).
        public static let serverError = Code(.serverError)
        /// The server answered with a reply of a type the command does not expect.
        public static let unexpectedReply = Code(.unexpectedReply)
        /// The circuit breaker is open: no attempt was made.
        public static let down = Code(.down)
        /// The pool was closed.
        public static let poolClosed = Code(.poolClosed)
        /// A Redis URL could not be parsed.
        public static let invalidURL = Code(.invalidURL)
        /// An argument was rejected before anything was sent.
        public static let invalidArgument = Code(.invalidArgument)
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// True when the error says the server is unreachable or the connection broke,
    /// the errors that trip the circuit breaker.
    public var isConnectionFailure: Bool {
        code == .connectFailed || code == .io || code == .protocolError
    }

    public var description: String { "Redis \(code): \(message)" }
}
