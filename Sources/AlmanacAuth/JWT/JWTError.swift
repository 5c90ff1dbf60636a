public import AlmanacCore

/// Why a token was refused.
///
/// `reason` is for the server's logs and metrics; `message` is short, fixed text that is
/// safe to show a client: it never echoes token content, key ids or expected values.
/// Every `JWTError` maps to HTTP 401 with `WWW-Authenticate: Bearer error="invalid_token"`.
public struct JWTError: Error, Sendable, Equatable, CustomStringConvertible {
    public struct Reason: Hashable, Sendable, CustomStringConvertible {
        private enum Kind: String, Hashable, Sendable {
            case malformed, tokenTooLarge, headerTooLarge, unsupportedAlgorithm, unsupportedHeader
            case missingKid, unknownKey, badSignature, missingClaim, invalidClaim
            case expired, notYetValid, issuedInFuture, wrongIssuer, wrongAudience
        }
        private let kind: Kind
        private init(_ kind: Kind) { self.kind = kind }

        /// Not a compact JWS of three base64url parts with a JSON object header and
        /// payload and a 64-byte signature.
        public static let malformed = Reason(.malformed)
        /// The whole token is over the size limit.
        public static let tokenTooLarge = Reason(.tokenTooLarge)
        /// The encoded header is over the size limit.
        public static let headerTooLarge = Reason(.headerTooLarge)
        /// `alg` is missing or anything but exactly `ES256` (`none`, `HS256`, `RS256`, `es256`...).
        public static let unsupportedAlgorithm = Reason(.unsupportedAlgorithm)
        /// A `crit` header, or a `typ` other than `JWT`.
        public static let unsupportedHeader = Reason(.unsupportedHeader)
        /// No `kid` string in the header.
        public static let missingKid = Reason(.missingKid)
        /// The resolver knows no key for this `kid` (in this tenant).
        public static let unknownKey = Reason(.unknownKey)
        /// The signature does not verify.
        public static let badSignature = Reason(.badSignature)
        /// A required claim (`exp`, `iss`, `aud`) is absent.
        public static let missingClaim = Reason(.missingClaim)
        /// A registered claim has the wrong JSON type (`exp` a string, `aud` a number...).
        public static let invalidClaim = Reason(.invalidClaim)
        public static let expired = Reason(.expired)
        public static let notYetValid = Reason(.notYetValid)
        public static let issuedInFuture = Reason(.issuedInFuture)
        public static let wrongIssuer = Reason(.wrongIssuer)
        public static let wrongAudience = Reason(.wrongAudience)

        /// A stable slug for logs and metrics labels, e.g. `bad_signature`.
        public var description: String {
            switch kind {
            case .malformed: "malformed"
            case .tokenTooLarge: "token_too_large"
            case .headerTooLarge: "header_too_large"
            case .unsupportedAlgorithm: "unsupported_algorithm"
            case .unsupportedHeader: "unsupported_header"
            case .missingKid: "missing_kid"
            case .unknownKey: "unknown_key"
            case .badSignature: "bad_signature"
            case .missingClaim: "missing_claim"
            case .invalidClaim: "invalid_claim"
            case .expired: "expired"
            case .notYetValid: "not_yet_valid"
            case .issuedInFuture: "issued_in_future"
            case .wrongIssuer: "wrong_issuer"
            case .wrongAudience: "wrong_audience"
            }
        }
    }

    public var reason: Reason
    /// Client-safe text, e.g. "token has expired".
    public var message: String

    public init(_ reason: Reason, _ message: String) {
        self.reason = reason
        self.message = message
    }

    public var description: String { "\(reason): \(message)" }

    /// The error as the HTTP edge reports it: 401 with this error's client-safe message.
    public var almanacError: AlmanacError {
        AlmanacError(.unauthorized, "invalid token: \(message)")
    }

    static let malformedToken = JWTError(.malformed, "token is not a well-formed ES256 JWT")
    static func malformed(_ what: String) -> JWTError { JWTError(.malformed, what) }
}
