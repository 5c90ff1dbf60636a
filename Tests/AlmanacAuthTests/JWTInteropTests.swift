import AlmanacCore
import Foundation
import Testing

@testable import AlmanacAuth

/// Cross-checks with PyJWT (`scripts/jwt_interop.py`), when python3 can import `jwt` and
/// `cryptography` (`pip install pyjwt cryptography`); skipped otherwise.
@Suite("ES256 interop with PyJWT", .enabled(if: PyJWT.isAvailable, "python3 with pyjwt and cryptography not found"))
struct JWTInteropTests {
    @Test func ourTokenVerifiesInPyJWT() throws {
        let f = try JWTFixture()
        let now = JWTVerifier.systemClock()
        let claims = f.claims([("iat", .int(Int64(now))), ("nbf", .int(Int64(now))), ("exp", .int(Int64(now) + 300))])
        let token = try f.signer.sign(claims)
        let dir = try TemporaryDirectory()
        let tokenFile = try dir.write("token", token)
        let pemFile = try dir.write("public.pem", try f.key.publicKey.pemRepresentation())
        let jwksFile = try dir.write("jwks.json", JWKS.keySet([(kid: f.kid, key: f.key.publicKey)]).jsonString)

        let result = try PyJWT.run(["verify", tokenFile, pemFile, jwksFile, JWTFixture.issuer, JWTFixture.audience])
        #expect(result.status == 0, "\(result.stderr)")
        let decoded = try JSONParser.parse(result.stdout)
        #expect(decoded.objectValue == claims)
    }

    @Test func pyJWTTokenVerifiesHere() throws {
        let f = try JWTFixture()
        let dir = try TemporaryDirectory()
        let keyFile = try dir.write("private.pem", try f.key.pemRepresentation())
        let claimsFile = try dir.write("claims.json", JSONValue.object(f.claims()).jsonString)

        let result = try PyJWT.run(["sign", keyFile, f.kid, claimsFile])
        #expect(result.status == 0, "\(result.stderr)")
        let token = result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let verified = try f.verify(token)
        #expect(verified.kid == f.kid)
        #expect(verified.claims == f.claims())
        // And a PyJWT token whose payload we alter is still refused.
        let parts = token.jwtParts
        let forged = Base64URL.encode(JSONWriter.encode(.object(f.claims([("scope", "admin")]))))
        f.expectRefused([parts[0], forged, parts[2]].joined(separator: "."), .badSignature)
    }
}

/// Runs `scripts/jwt_interop.py` with Foundation.Process.
enum PyJWT {
    static let script: String = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("scripts/jwt_interop.py").path

    static let isAvailable: Bool = {
        guard FileManager.default.fileExists(atPath: script) else { return false }
        return (try? run(["check"]).status) == 0
    }()

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static func run(_ arguments: [String]) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script] + arguments
        let stdout = Pipe()
        // stderr goes to a file so that neither pipe can fill up while we drain the other.
        let errorPath = FileManager.default.temporaryDirectory.appendingPathComponent("jwt-interop-\(UUID().uuidString).err")
        _ = FileManager.default.createFile(atPath: errorPath.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: errorPath) }
        let stderr = try FileHandle(forWritingTo: errorPath)
        process.standardOutput = stdout
        process.standardError = stderr
        process.standardInput = FileHandle.nullDevice
        try process.run()
        try? stderr.close()
        // Read to EOF first (the child closes stdout when it exits), then reap it.
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let errors = (try? Data(contentsOf: errorPath)) ?? Data()
        return Result(
            status: process.terminationStatus,
            stdout: String(decoding: output, as: UTF8.self),
            stderr: String(decoding: errors, as: UTF8.self))
    }
}

/// A private temporary directory, removed on deinit.
final class TemporaryDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("almanac-auth-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
    }

    func write(_ name: String, _ contents: String) throws -> String {
        let path = url.appendingPathComponent(name).path
        guard FileManager.default.createFile(atPath: path, contents: Data(contents.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw CocoaError(.fileWriteUnknown)
        }
        return path
    }

    deinit { try? FileManager.default.removeItem(at: url) }
}
