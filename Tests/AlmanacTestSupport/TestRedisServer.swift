// A private redis-server for tests (Foundation + libc, and `ChildProcess.spawn`).
//
// - `TestRedisServer.withRedisURL { url in ... }`: `ALMANAC_TEST_REDIS_URL` when set
//   (e.g. by `eval "$(scripts/test-redis.sh start)"`), otherwise a private server that
//   lives for the closure.
// - `TestRedisServer.withServer { server in ... }`: always a private server, for tests
//   that stop, restart or `CLIENT KILL` it.
//
// The server is spawned with `ChildProcess.spawn` (posix_spawn, an empty signal mask), stopped
// with `SHUTDOWN NOSAVE` over a connection, SIGKILL as the fallback, and reaped with
// waitpid. Servers left behind by a crashed test process are killed by the next start.

public import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

public struct TestRedisServerError: Error, CustomStringConvertible {
    public var description: String
    public init(description: String) { self.description = description }
}

public struct TestRedisServer: Sendable {
    public let port: Int
    public let directory: String
    public let pid: pid_t
    /// Extra `redis-server` arguments given to ``start(port:arguments:)``, kept for ``restart()``.
    public let arguments: [String]

    public var url: String { "redis://127.0.0.1:\(port)" }

    /// The external server's URL from `ALMANAC_TEST_REDIS_URL`, if set and not empty.
    public static var environmentURL: String? {
        guard let url = ProcessInfo.processInfo.environment["ALMANAC_TEST_REDIS_URL"], !url.isEmpty else { return nil }
        return url
    }

    /// Runs `body` with `ALMANAC_TEST_REDIS_URL`, or with a private server if it is unset.
    public static func withRedisURL<R>(_ body: (String) async throws -> R) async throws -> R {
        if let url = environmentURL { return try await body(url) }
        return try await withServer { server in try await body(server.url) }
    }

    /// Runs `body` with a private server, stopped afterwards even when `body` throws.
    /// `arguments` are extra `redis-server` options, e.g. `["--unixsocket", path]`.
    public static func withServer<R>(
        arguments: [String] = [],
        _ body: (TestRedisServer) async throws -> R
    ) async throws -> R {
        let server = try await start(arguments: arguments)
        do {
            let result = try await body(server)
            await server.stop()
            return result
        } catch {
            await server.stop()
            throw error
        }
    }

    public static var baseDirectory: String {
        let root = ProcessInfo.processInfo.environment["ALMANAC_TEST_TMP"].flatMap { $0.isEmpty ? nil : $0 }
            ?? "/tmp/almanac-test"
        return root + "/redis-swift"
    }

    /// Starts a redis-server on `port` (a free one when nil) and waits until it answers PING.
    public static func start(port: Int? = nil, arguments extra: [String] = []) async throws -> TestRedisServer {
        killLeftoverServers()
        let port = try port ?? freePort()
        let directory = baseDirectory + "/\(getpid())-\(port)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let arguments = [
            "redis-server",
            "--port", "\(port)", "--bind", "127.0.0.1",
            "--save", "", "--appendonly", "no", "--daemonize", "no",
            "--dir", directory, "--pidfile", directory + "/redis.pid",
            "--logfile", directory + "/redis.log",
        ] + extra
        let server = TestRedisServer(port: port, directory: directory, pid: try ChildProcess.spawn(arguments), arguments: extra)
        try await server.waitUntilAnswering("redis-server")
        return server
    }

    /// Waits until the server answers PING; stops it and throws when it exits or stays
    /// silent for 30 s.
    private func waitUntilAnswering(_ what: String) async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        var lastAnswer = "nothing"
        while ContinuousClock.now < deadline {
            do {
                let answer = try Self.command(port: port, ["PING"])
                if answer == "+PONG" { return }
                lastAnswer = "'\(answer)'"
            } catch {
                lastAnswer = "\(error)"
            }
            if hasExited() {
                throw TestRedisServerError(description: "\(what) exited at start; see \(directory)/redis.log")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        kill9()
        throw TestRedisServerError(description: "\(what) on port \(port) did not answer PING (last: \(lastAnswer))")
    }

    /// Starts a Redis Sentinel (`redis-server CONF --sentinel`) on a free port, monitoring
    /// the master at `masterPort` as `name` with quorum 2, down after 1 s, failover timeout
    /// 5 s; waits until it answers PING.
    public static func startSentinel(monitoring masterPort: Int, name: String = "mymaster") async throws -> TestRedisServer {
        killLeftoverServers()
        let port = try freePort()
        let directory = baseDirectory + "/\(getpid())-\(port)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let config = """
            port \(port)
            bind 127.0.0.1
            dir \(directory)
            pidfile \(directory)/redis.pid
            logfile \(directory)/redis.log
            sentinel monitor \(name) 127.0.0.1 \(masterPort) 2
            sentinel down-after-milliseconds \(name) 1000
            sentinel failover-timeout \(name) 5000
            sentinel parallel-syncs \(name) 1

            """
        try config.write(toFile: directory + "/sentinel.conf", atomically: true, encoding: .utf8)
        let pid = try ChildProcess.spawn(["redis-server", directory + "/sentinel.conf", "--sentinel"])
        let server = TestRedisServer(port: port, directory: directory, pid: pid, arguments: [])
        try await server.waitUntilAnswering("redis sentinel")
        return server
    }

    /// SIGKILL, as a crash: no shutdown, nothing saved; reaps the process and removes its
    /// directory.
    public func kill9() {
        kill(pid, SIGKILL)
        var status: Int32 = 0
        _ = waitpid(pid, &status, 0)
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// A new server on the same port (after ``stop()``); data is gone (no persistence).
    public func restart() async throws -> TestRedisServer {
        try await Self.start(port: port, arguments: arguments)
    }

    /// `SHUTDOWN NOSAVE`, then SIGKILL if the process is still there after 3 s; reaps it.
    public func stop() async {
        _ = try? Self.command(port: port, ["SHUTDOWN", "NOSAVE"])
        let deadline = ContinuousClock.now + .seconds(3)
        while !hasExited() {
            if ContinuousClock.now >= deadline {
                kill(pid, SIGKILL)
                while !hasExited() { try? await Task.sleep(for: .milliseconds(10)) }
                break
            }
            try? await Task.sleep(for: .milliseconds(10))
        }
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Reaps the child if it has exited; also true if someone else reaped it.
    private func hasExited() -> Bool {
        var status: Int32 = 0
        let result = waitpid(pid, &status, WNOHANG)
        return result == pid || (result == -1 && errno == ECHILD)
    }

    // MARK: - Talking to Redis without the code under test

    /// Sends one command over a fresh connection and returns the first reply line
    /// (`+OK`, `:1`, `-ERR ...`, `$5` ...), or "" when the server closed the connection.
    @discardableResult
    public static func command(port: Int, _ arguments: [String]) throws -> String {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestRedisServerError(description: "socket: errno \(errno)") }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = loopback(port: port)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { throw TestRedisServerError(description: "connect to \(port): errno \(errno)") }
        var request = "*\(arguments.count)\r\n"
        for argument in arguments { request += "$\(argument.utf8.count)\r\n\(argument)\r\n" }
        let bytes = Array(request.utf8)
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { throw TestRedisServerError(description: "send: errno \(errno)") }
            sent += n
        }
        var line: [UInt8] = []
        var byte: UInt8 = 0
        while recv(fd, &byte, 1, 0) == 1 {
            if byte == UInt8(ascii: "\n") { break }
            if byte != UInt8(ascii: "\r") { line.append(byte) }
        }
        return String(decoding: line, as: UTF8.self)
    }

    /// A loopback TCP port nothing listens on right now.
    public static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestRedisServerError(description: "socket: errno \(errno)") }
        defer { close(fd) }
        var address = loopback(port: 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard ok else { throw TestRedisServerError(description: "bind: errno \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    private static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        #if canImport(Darwin)
        address.sin_len = UInt8(MemoryLayout<sockaddr_in>.size)
        #endif
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = in_addr_t(UInt32(0x7f00_0001).bigEndian)
        return address
    }

    // MARK: - Processes

    /// Kills servers whose test process is gone (it crashed before stopping them).
    private static func killLeftoverServers() {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: baseDirectory) else { return }
        for entry in entries {
            guard let owner = entry.split(separator: "-").first.flatMap({ pid_t($0) }),
                  owner != getpid(), kill(owner, 0) != 0, errno == ESRCH
            else { continue }
            let directory = baseDirectory + "/" + entry
            if let text = try? String(contentsOfFile: directory + "/redis.pid", encoding: .utf8),
               let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)),
               isRedisServer(pid) {
                kill(pid, SIGKILL)
            }
            try? FileManager.default.removeItem(atPath: directory)
        }
    }

    private static func isRedisServer(_ pid: pid_t) -> Bool {
        #if os(Linux)
        let name = (try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8)) ?? ""
        return name.hasPrefix("redis-server")
        #else
        return false
        #endif
    }
}
