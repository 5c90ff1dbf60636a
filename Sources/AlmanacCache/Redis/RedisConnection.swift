import CHiredis

#if canImport(Darwin)
import Darwin
#elseif canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// One blocking hiredis connection (`redisContext`), owned by this object and freed in
/// `deinit`.
///
/// Every call blocks the calling thread for up to the connect or command timeout: call it
/// from a thread pool (``RedisPool`` does), never from an event loop or Swift's cooperative
/// pool. A `redisContext` is not thread-safe, so neither is this class: it is not
/// `Sendable`, and one thread at a time may use it.
///
/// After any I/O or protocol error hiredis leaves the context unusable, so the connection
/// frees it and connects again (timeouts, `AUTH`, `SELECT`) on next use. Before each
/// command an idle connection is checked for a peer close (a server restart, `CLIENT KILL`,
/// the server's idle `timeout`), so a stale socket costs a reconnect rather than a failed
/// command.
public final class RedisConnection {
    public let url: RedisURL
    public let connectTimeout: Duration
    public let commandTimeout: Duration

    /// The live context, `nil` once it is dead (after an error or ``close()``).
    private var context: UnsafeMutablePointer<redisContext>?

    /// Connects now; throws ``RedisError/Code/connectFailed`` when that fails.
    ///
    /// - Parameters:
    ///   - connectTimeout: bound on the TCP/unix connect (hiredis' `redisConnectWithTimeout`).
    ///   - commandTimeout: bound on each socket read and write, set with `redisSetTimeout`
    ///     after every connect (hiredis 0.14 sets no command timeout by itself).
    public init(
        url: RedisURL,
        connectTimeout: Duration = .milliseconds(200),
        commandTimeout: Duration = .milliseconds(100)
    ) throws(RedisError) {
        self.url = url
        self.connectTimeout = connectTimeout
        self.commandTimeout = commandTimeout
        self.context = try Self.connect(url: url, connectTimeout: connectTimeout, commandTimeout: commandTimeout)
    }

    deinit {
        if let context { redisFree(context) }
    }

    /// False after an error or ``close()``, until the next command reconnects.
    public var isConnected: Bool { context != nil }

    /// Drops the connection; the next command connects again.
    public func close() {
        if let context { redisFree(context) }
        context = nil
    }

    /// Sends one command (`arguments[0]` is the command name) and waits for its reply.
    ///
    /// Binary safe: each argument is passed to `redisCommandArgv` with its length. An error
    /// reply from the server is returned as ``RedisReply/error(_:)``, not thrown; thrown are
    /// connect, I/O (including timeouts) and protocol errors, after which the connection is
    /// dropped and the next call reconnects.
    public func send(_ arguments: [[UInt8]]) throws(RedisError) -> RedisReply {
        guard !arguments.isEmpty else { throw RedisError(.invalidArgument, "empty command") }
        let context = try liveContext()
        let reply: RedisReply
        do {
            reply = try Self.execute(arguments, on: context)
        } catch {
            close()
            throw error
        }
        // Behind Sentinel, a master demoted by a failover answers writes with READONLY:
        // drop it like a broken connection, so the next connect asks the sentinels again.
        if case .sentinel = url.endpoint, case .error(let message) = reply, message.hasPrefix("READONLY") {
            close()
            throw RedisError(.io, "\(url): \(message)")
        }
        return reply
    }

    /// Convenience for textual arguments.
    public func send(_ arguments: String...) throws(RedisError) -> RedisReply {
        try send(arguments.map { Array($0.utf8) })
    }

    // MARK: - Connecting

    /// The current context, reconnecting first if it is dead or its peer has hung up.
    private func liveContext() throws(RedisError) -> UnsafeMutablePointer<redisContext> {
        if let context {
            if !Self.peerHasClosed(context) { return context }
            close()
        }
        let fresh = try Self.connect(url: url, connectTimeout: connectTimeout, commandTimeout: commandTimeout)
        context = fresh
        return fresh
    }

    private static func connect(
        url: RedisURL,
        connectTimeout: Duration,
        commandTimeout: Duration
    ) throws(RedisError) -> UnsafeMutablePointer<redisContext> {
        ignoreSIGPIPE()
        let maybeContext: UnsafeMutablePointer<redisContext>?
        var master: RedisURL.HostPort?
        switch url.endpoint {
        case .tcp(let host, let port):
            maybeContext = redisConnectWithTimeout(host, Int32(port), timeval(connectTimeout))
        case .unix(let path):
            maybeContext = redisConnectUnixWithTimeout(path, timeval(connectTimeout))
        case .sentinel(let sentinels, let name):
            let address = try masterAddress(
                name, sentinels: sentinels, url: url, connectTimeout: connectTimeout, commandTimeout: commandTimeout)
            master = address
            maybeContext = redisConnectWithTimeout(address.host, Int32(address.port), timeval(connectTimeout))
        }
        guard let context = maybeContext else {
            throw RedisError(.connectFailed, "\(url): cannot allocate a hiredis context")
        }
        do throws(RedisError) {
            if context.pointee.err != 0 {
                throw RedisError(.connectFailed, "\(url): \(errorString(context))")
            }
            // hiredis 0.14 bounds only the connect by `connectTimeout`; without this a
            // command could block forever (measured: BLPOP ran its full time).
            guard redisSetTimeout(context, timeval(commandTimeout)) == REDIS_OK else {
                throw RedisError(.connectFailed, "\(url): cannot set the command timeout: \(errorString(context))")
            }
            #if canImport(Darwin)
            var one: Int32 = 1
            _ = setsockopt(context.pointee.fd, SOL_SOCKET, SO_NOSIGPIPE, &one, socklen_t(MemoryLayout<Int32>.size))
            #endif
            if let password = url.password {
                var auth: [[UInt8]] = [Array("AUTH".utf8)]
                if let username = url.username { auth.append(Array(username.utf8)) }
                auth.append(Array(password.utf8))
                if case .error(let message) = try execute(auth, on: context) {
                    throw RedisError(.connectFailed, "\(url): AUTH failed: \(message)")
                }
            }
            if url.database != 0 {
                let reply = try execute([Array("SELECT".utf8), Array(String(url.database).utf8)], on: context)
                if case .error(let message) = reply {
                    throw RedisError(.connectFailed, "\(url): SELECT failed: \(message)")
                }
            }
            if let master {
                // Sentinel names the old master until it has noticed a failure: refuse a node
                // that is not (or no longer) the master, and the next connect asks again.
                let role = try execute([Array("ROLE".utf8)], on: context)
                guard case .array(let parts) = role, case .bulk(let name)? = parts.first, name == Array("master".utf8) else {
                    throw RedisError(.connectFailed, "\(url): \(master), named by Sentinel, is not the master")
                }
            }
        } catch {
            redisFree(context)
            throw error.code == .connectFailed ? error : RedisError(.connectFailed, "\(url): \(error.message)")
        }
        return context
    }

    /// The address the first sentinel that knows `name` gives for it
    /// (`SENTINEL get-master-addr-by-name`); the sentinels are asked in order.
    private static func masterAddress(
        _ name: String, sentinels: [RedisURL.HostPort], url: RedisURL, connectTimeout: Duration, commandTimeout: Duration
    ) throws(RedisError) -> RedisURL.HostPort {
        var failures: [String] = []
        for sentinel in sentinels {
            do throws(RedisError) {
                let connection = try RedisConnection(
                    url: RedisURL(endpoint: .tcp(host: sentinel.host, port: sentinel.port)),
                    connectTimeout: connectTimeout, commandTimeout: commandTimeout)
                defer { connection.close() }
                let reply = try connection.send("SENTINEL", "get-master-addr-by-name", name)
                if case .array(let parts) = reply, parts.count == 2, case .bulk(let host) = parts[0],
                    case .bulk(let portText) = parts[1], let port = Int(String(decoding: portText, as: UTF8.self))
                {
                    return RedisURL.HostPort(host: String(decoding: host, as: UTF8.self), port: port)
                }
                switch reply {
                case .null:
                    failures.append("\(sentinel): no master named '\(name)'")
                case let other:
                    failures.append("\(sentinel): unexpected reply \(other)")
                }
            } catch {
                failures.append("\(sentinel): \(error.message)")
            }
        }
        throw RedisError(.connectFailed, "\(url): no sentinel named the master (\(failures.joined(separator: "; ")))")
    }

    /// True when an idle connection has something to read: in request/response use that
    /// can only be an EOF, a reset or garbage, so the socket must not be reused.
    private static func peerHasClosed(_ context: UnsafeMutablePointer<redisContext>) -> Bool {
        var descriptor = pollfd(fd: context.pointee.fd, events: Int16(POLLIN), revents: 0)
        return poll(&descriptor, 1, 0) > 0
    }

    private static func ignoreSIGPIPE() {
        #if !canImport(Darwin)
        // hiredis writes with write(2); a write to a socket the server closed would raise
        // SIGPIPE and end the process. Linux has no per-socket SO_NOSIGPIPE, so ignore it
        // process-wide, exactly as SwiftNIO does for its own sockets.
        _ = sigpipeIgnored
        #endif
    }

    // MARK: - Commands and replies

    /// Runs one command through `redisCommandArgv` and converts the reply, always freeing it.
    private static func execute(
        _ arguments: [[UInt8]],
        on context: UnsafeMutablePointer<redisContext>
    ) throws(RedisError) -> RedisReply {
        // One buffer for all arguments: hiredis copies them into its output buffer before
        // redisCommandArgv returns, so the pointers only need to live for the call.
        let total = arguments.reduce(0) { $0 + $1.count }
        let storage = UnsafeMutableRawBufferPointer.allocate(byteCount: max(total, 1), alignment: 1)
        defer { storage.deallocate() }
        var pointers: [UnsafePointer<CChar>?] = []
        var lengths: [Int] = []
        pointers.reserveCapacity(arguments.count)
        lengths.reserveCapacity(arguments.count)
        var offset = 0
        for argument in arguments {
            let start = storage.baseAddress! + offset
            argument.withUnsafeBytes { bytes in
                if let source = bytes.baseAddress, !bytes.isEmpty {
                    start.copyMemory(from: source, byteCount: bytes.count)
                }
            }
            pointers.append(UnsafePointer(start.assumingMemoryBound(to: CChar.self)))
            lengths.append(argument.count)
            offset += argument.count
        }
        let raw = pointers.withUnsafeMutableBufferPointer { argv in
            lengths.withUnsafeBufferPointer { argvlen in
                redisCommandArgv(context, Int32(arguments.count), argv.baseAddress, argvlen.baseAddress)
            }
        }
        guard let raw else {
            let code: RedisError.Code = context.pointee.err == REDIS_ERR_PROTOCOL ? .protocolError : .io
            throw RedisError(code, errorString(context))
        }
        defer { freeReplyObject(raw) }
        return try RedisReply(raw.assumingMemoryBound(to: redisReply.self))
    }

    /// `context->errstr`, a fixed `char[128]` that Swift imports as a tuple.
    private static func errorString(_ context: UnsafeMutablePointer<redisContext>) -> String {
        let message = withUnsafeBytes(of: context.pointee.errstr) { bytes in
            String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
        }
        return message.isEmpty ? "hiredis error \(context.pointee.err)" : message
    }
}

@available(*, unavailable, message: "a hiredis context is not thread-safe; lease one from RedisPool")
extension RedisConnection: Sendable {}

#if !canImport(Darwin)
private let sigpipeIgnored: Bool = {
    _ = signal(SIGPIPE, SIG_IGN)
    return true
}()
#endif

extension RedisReply {
    /// Copies a hiredis reply tree; the caller keeps ownership of `reply`.
    init(_ reply: UnsafePointer<redisReply>) throws(RedisError) {
        let r = reply.pointee
        switch r.type {
        case REDIS_REPLY_STATUS:
            self = .status(String(decoding: Self.bytes(r), as: UTF8.self))
        case REDIS_REPLY_ERROR:
            self = .error(String(decoding: Self.bytes(r), as: UTF8.self))
        case REDIS_REPLY_INTEGER:
            self = .integer(Int64(r.integer))
        case REDIS_REPLY_STRING:
            self = .bulk(Array(Self.bytes(r)))
        case REDIS_REPLY_NIL:
            self = .null
        case REDIS_REPLY_ARRAY:
            var elements: [RedisReply] = []
            elements.reserveCapacity(r.elements)
            for index in 0..<r.elements {
                guard let element = r.element[index] else {
                    throw RedisError(.protocolError, "array reply with a missing element")
                }
                elements.append(try RedisReply(element))
            }
            self = .array(elements)
        default:
            throw RedisError(.protocolError, "unknown reply type \(r.type)")
        }
    }

    private static func bytes(_ r: redisReply) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: r.str, count: r.len)
    }
}

extension timeval {
    /// A socket timeout; never zero, which the kernel would read as "no timeout".
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        var micros = attoseconds / 1_000_000_000_000
        if seconds <= 0 && micros <= 0 { micros = 1_000 }
        self.init(tv_sec: .init(clamping: max(seconds, 0)), tv_usec: .init(clamping: micros))
    }
}
