import AlmanacTestSupport
import Logging
import NIOPosix
import Synchronization
@testable import AlmanacCache

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A pool with test-friendly defaults against `url`.
func makePool(
    _ url: String,
    maxConnections: Int = 4,
    commandTimeout: Duration = .seconds(2),
    retryInterval: Duration = .milliseconds(300)
) throws -> RedisPool {
    RedisPool(
        configuration: .init(
            url: try RedisURL(url),
            maxConnections: maxConnections,
            connectTimeout: .seconds(2),
            commandTimeout: commandTimeout,
            retryInterval: retryInterval
        ),
        threadPool: .singleton
    )
}

/// A key no other test (or test run against a shared server) uses.
func uniqueKey(_ name: String) -> String {
    "almanac-test:\(name):\(UInt64.random(in: 0...UInt64.max))"
}

/// Polls `condition` until it holds or `timeout` passes.
func eventually(timeout: Duration = .seconds(20), _ condition: () async -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if await condition() { return true }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return await condition()
}

/// A thread-safe counter for closures that run concurrently.
final class Counter: Sendable {
    private let value = Mutex(0)
    @discardableResult func increment() -> Int { value.withLock { $0 += 1; return $0 } }
    var count: Int { value.withLock { $0 } }
}

/// Mutex-protected state shared by concurrent test closures.
final class Box<Value: Sendable>: Sendable {
    private let value: Mutex<Value>
    init(_ value: Value) { self.value = Mutex(value) }
    func withLock<R: Sendable>(_ body: (inout Value) -> R) -> R { value.withLock { body(&$0) } }
}

/// Runs `body` with the port of a loopback socket that listens but never accepts or answers.
func withSilentListener<R>(_ body: (Int) async throws -> R) async throws -> R {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw TestRedisServerError(description: "socket: errno \(errno)") }
    defer { close(fd) }
    var address = sockaddr_in()
    #if canImport(Darwin)
    address.sin_len = UInt8(MemoryLayout<sockaddr_in>.size)
    #endif
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = in_addr_t(UInt32(0x7f00_0001).bigEndian)
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let ok = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            bind(fd, $0, length) == 0 && listen(fd, 64) == 0 && getsockname(fd, $0, &length) == 0
        }
    }
    guard ok else { throw TestRedisServerError(description: "listen: errno \(errno)") }
    return try await body(Int(UInt16(bigEndian: address.sin_port)))
}

/// Collects log records (level and message) for assertions.
struct CapturingLogHandler: LogHandler {
    let records: Box<[(level: Logger.Level, message: String)]>
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        records.withLock { $0.append((event.level, event.message.description)) }
    }

    static func logger() -> (Logger, Box<[(level: Logger.Level, message: String)]>) {
        let records = Box<[(level: Logger.Level, message: String)]>([])
        return (Logger(label: "test") { _ in CapturingLogHandler(records: records) }, records)
    }
}
