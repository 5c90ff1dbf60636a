import COpenSSL

/// A failure of a cryptographic operation.
///
/// `code` is a struct over a private set of cases, so codes can be added without breaking
/// callers' `switch` statements. OpenSSL failures carry the drained OpenSSL error queue in
/// `openSSLErrors` (for logs: never show them to a client).
public struct CryptoError: Error, Sendable, Equatable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Kind: Hashable, Sendable {
            case openSSL, invalidArgument, invalidFormat, authenticationFailed
        }
        private let kind: Kind
        private init(_ kind: Kind) { self.kind = kind }

        /// An OpenSSL call failed; see `openSSLErrors`.
        public static let openSSL = Code(.openSSL)
        /// A parameter is out of range (key length, scrypt cost, signature length...).
        public static let invalidArgument = Code(.invalidArgument)
        /// Input bytes are not in the expected encoding (PEM, DER, sealed box, password hash).
        public static let invalidFormat = Code(.invalidFormat)
        /// An AEAD tag did not verify: wrong key, wrong associated data, or tampering.
        public static let authenticationFailed = Code(.authenticationFailed)

        public var description: String {
            switch kind {
            case .openSSL: "openssl"
            case .invalidArgument: "invalid-argument"
            case .invalidFormat: "invalid-format"
            case .authenticationFailed: "authentication-failed"
            }
        }
    }

    public var code: Code
    /// What was being done, e.g. "EVP_DigestSign".
    public var message: String
    /// OpenSSL's error queue at the time of failure, oldest first (`error:...` strings).
    public var openSSLErrors: [String]

    public init(_ code: Code, _ message: String, openSSLErrors: [String] = []) {
        self.code = code
        self.message = message
        self.openSSLErrors = openSSLErrors
    }

    public var description: String {
        openSSLErrors.isEmpty
            ? "\(code): \(message)"
            : "\(code): \(message) [\(openSSLErrors.joined(separator: "; "))]"
    }
}

/// The one place that turns OpenSSL's thread-local error queue into a Swift error.
///
/// OpenSSL reports failures by return code and pushes details onto a per-thread queue.
/// Every failing call site throws `OpenSSL.error(...)`, which drains the queue so that
/// stale entries never leak into the next, unrelated failure on the same thread.
enum OpenSSL {
    /// Drains the error queue into a `CryptoError` with code `.openSSL`.
    static func error(_ operation: String) -> CryptoError {
        CryptoError(.openSSL, "\(operation) failed", openSSLErrors: drainErrorQueue())
    }

    /// Drains the error queue into a `CryptoError` with the given code (for failures whose
    /// cause is the caller's input, such as an unparsable PEM).
    static func error(_ code: CryptoError.Code, _ message: String) -> CryptoError {
        CryptoError(code, message, openSSLErrors: drainErrorQueue())
    }

    /// Empties the queue after an expected failure (e.g. a signature that does not verify).
    static func clearErrorQueue() {
        ERR_clear_error()
    }

    static func drainErrorQueue() -> [String] {
        var messages: [String] = []
        var buffer = [CChar](repeating: 0, count: 256)
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            // Bound the work if something keeps pushing: the queue holds at most 16 entries.
            if messages.count >= 32 { continue }
            let text = buffer.withUnsafeMutableBufferPointer { ptr -> String in
                ERR_error_string_n(code, ptr.baseAddress, ptr.count)
                return String(cString: ptr.baseAddress!)
            }
            messages.append(text)
        }
        return messages
    }

    /// Throws the drained error queue unless `result` is 1 (OpenSSL's success value).
    @inline(__always)
    static func check(_ result: Int32, _ operation: @autoclosure () -> String) throws(CryptoError) {
        guard result == 1 else { throw error(operation()) }
    }
}
