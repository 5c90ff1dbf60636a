public import AlmanacCore
import Foundation
public import Logging

/// The operator's 256-bit key that seals every tenant's private signing key.
public struct MasterKey: Sendable {
    public let bytes: [UInt8]

    public init(bytes: [UInt8]) throws(AlmanacError) {
        guard bytes.count == 32 else { throw AlmanacError(.badRequest, "the master key must be 32 bytes") }
        self.bytes = bytes
    }

    /// Reads a key file: 64 hex characters or 44 base64 characters (whitespace ignored), or 32 raw bytes.
    public static func read(path: String) throws -> MasterKey {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw AlmanacError(.badRequest, "cannot read the master key file \(path)")
        }
        let text = String(decoding: data, as: UTF8.self).filter { !$0.isWhitespace }
        if text.count == 64, let bytes = Hex.decode(text) { return try MasterKey(bytes: bytes) }
        if let decoded = Data(base64Encoded: text), decoded.count == 32 { return try MasterKey(bytes: Array(decoded)) }
        if data.count == 32 { return try MasterKey(bytes: Array(data)) }
        throw AlmanacError(.badRequest, "the master key file \(path) must hold 32 bytes as 64 hex characters")
    }

    /// Resolves the key as API.md says: an explicit file, `ALMANAC_MASTER_KEY_FILE`, or a
    /// generated `DIR/master.key` (mode 0600) with a development-only warning.
    public static func resolve(explicitPath: String?, dataDirectory: String, logger: Logger) throws -> MasterKey {
        if let path = explicitPath ?? ProcessInfo.processInfo.environment["ALMANAC_MASTER_KEY_FILE"] {
            return try read(path: path)
        }
        let path = dataDirectory + "/master.key"
        if FileManager.default.fileExists(atPath: path) {
            logger.warning("using \(path) as the master key: for development only; set ALMANAC_MASTER_KEY_FILE in production")
            return try read(path: path)
        }
        let bytes = try SecureRandom.bytes(32)
        let hex = Hex.encode(bytes) + "\n"
        try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
        guard FileManager.default.createFile(atPath: path, contents: Data(hex.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw AlmanacError(.internalError, "cannot create \(path)")
        }
        logger.warning("generated a master key at \(path): for development only; set ALMANAC_MASTER_KEY_FILE in production")
        return try MasterKey(bytes: bytes)
    }
}
