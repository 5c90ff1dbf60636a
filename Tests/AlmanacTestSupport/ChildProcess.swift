public import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

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

extension ChildProcess {
    /// Starts a child that keeps running (a server, a replicator) and answers its pid:
    /// posix_spawn with an empty signal mask and default dispositions, since a
    /// Foundation.Process started from a Swift-concurrency thread would inherit blocked
    /// SIGTERM/SIGCHLD. stdin is /dev/null; stdout and stderr go to `output` (appended).
    public static func spawn(_ arguments: [String], output: String = "/dev/null") throws -> pid_t {
        #if canImport(Darwin)
        var attributes: posix_spawnattr_t? = nil
        var actions: posix_spawn_file_actions_t? = nil
        #else
        var attributes = posix_spawnattr_t()
        var actions = posix_spawn_file_actions_t()
        #endif
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var emptyMask = sigset_t()
        sigemptyset(&emptyMask)
        posix_spawnattr_setsigmask(&attributes, &emptyMask)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGTERM, SIGINT, SIGHUP, SIGCHLD, SIGPIPE] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)

        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let result = posix_spawnp(&pid, arguments[0], &actions, &attributes, &argv, environ)
        guard result == 0 else {
            throw CocoaError(.executableLoad, userInfo: [NSLocalizedDescriptionKey: "cannot start \(arguments[0]): \(String(cString: strerror(result)))"])
        }
        return pid
    }

    /// Sends `signal` to a spawned child and reaps it, with SIGKILL after `grace`.
    public static func stop(_ pid: pid_t, signal: Int32 = SIGTERM, grace: Duration = .seconds(5)) async {
        kill(pid, signal)
        let deadline = ContinuousClock.now + grace
        var status: Int32 = 0
        while true {
            let reaped = waitpid(pid, &status, WNOHANG)
            if reaped == pid || (reaped == -1 && errno == ECHILD) { return }
            if ContinuousClock.now >= deadline {
                kill(pid, SIGKILL)
                _ = waitpid(pid, &status, 0)
                return
            }
            try? await Task.sleep(for: .milliseconds(20))
        }
    }

    /// The first executable called `name` on `PATH`.
    public static func which(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }
}
