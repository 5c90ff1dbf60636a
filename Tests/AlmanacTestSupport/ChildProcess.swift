import Foundation

/// Runs `scripts/jwt_interop.py` (PyJWT + cryptography, installed by `scripts/test.sh`): the
/// independent JWT implementation the interoperability tests check tokens against.
public enum PyJWT {
    public static let script: String = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("scripts/jwt_interop.py").path

    /// Whether python3 can import `jwt` and `cryptography`.
    public static let isAvailable: Bool = {
        guard FileManager.default.fileExists(atPath: script) else { return false }
        return (try? run(["check"]).status) == 0
    }()

    public static func run(_ arguments: [String]) throws -> ChildProcess.Result {
        try ChildProcess.run("/usr/bin/env", ["python3", script] + arguments)
    }
}

/// Runs a child process to completion, stdout through a pipe and stderr through a file
/// (so neither can fill up while the other is drained).
public enum ChildProcess {
    public struct Result: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
    }

    public static func run(_ executable: String, _ arguments: [String]) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let stdout = Pipe()
        let errorPath = FileManager.default.temporaryDirectory.appendingPathComponent("almanac-child-\(UUID().uuidString).err")
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
            status: process.terminationStatus, stdout: String(decoding: output, as: UTF8.self),
            stderr: String(decoding: errors, as: UTF8.self))
    }
}

/// A private temporary directory for files handed to child processes (mode 0700, files
/// 0600), removed on deinit.
public final class PrivateDirectory: Sendable {
    public let path: String

    public init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("almanac-auth-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
    }

    /// Writes `contents` to `name` inside the directory; returns the file's path.
    public func write(_ name: String, _ contents: String) throws -> String {
        let file = path + "/" + name
        guard FileManager.default.createFile(atPath: file, contents: Data(contents.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw CocoaError(.fileWriteUnknown)
        }
        return file
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}
