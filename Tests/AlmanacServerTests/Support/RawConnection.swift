import Foundation
import Logging
import NIOCore
import NIOPosix
import Synchronization

/// A raw TCP connection to a live test server, for what an HTTP client library will not do:
/// half-sent heads, bodies trickled a byte at a time, connections left idle. It records
/// every byte the server sends and when the server closed the connection.
final class RawConnection: Sendable {
    private let channel: any Channel
    private let collector: Collector
    let openedAt = ContinuousClock.now

    private init(channel: any Channel, collector: Collector) {
        self.channel = channel
        self.collector = collector
    }

    static func connect(port: Int) async throws -> RawConnection {
        let collector = Collector()
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(collector) }
            }
            .connect(host: "127.0.0.1", port: port).get()
        return RawConnection(channel: channel, collector: collector)
    }

    /// Sends bytes; false once the server has closed the connection.
    @discardableResult
    func send(_ bytes: [UInt8]) async -> Bool {
        guard channel.isActive else { return false }
        do {
            try await channel.writeAndFlush(ByteBuffer(bytes: bytes))
            return true
        } catch {
            return false
        }
    }

    @discardableResult
    func send(_ text: String) async -> Bool { await send(Array(text.utf8)) }

    /// Whether the server has closed the connection.
    var isClosed: Bool { collector.closedAt != nil }

    /// When the server closed it, measured from `openedAt`.
    var closedAfter: Duration? { collector.closedAt.map { $0 - openedAt } }

    /// Everything received so far, as text.
    var received: String { String(decoding: collector.bytes, as: UTF8.self) }

    /// Waits until the server closes the connection (or `timeout` passes); answers whether it did.
    func waitForClose(timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if isClosed { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return isClosed
    }

    /// Waits until `needle` has been received (or `timeout` passes).
    func waitFor(_ needle: String, timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if received.contains(needle) { return true }
            if isClosed { return received.contains(needle) }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return received.contains(needle)
    }

    /// One request on a fresh connection (it should say `Connection: close`): the whole
    /// answer and how long it took.
    static func exchange(port: Int, _ request: String, timeout: Duration = .seconds(10)) async throws -> (String, Duration) {
        let c = try await connect(port: port)
        await c.send(request)
        _ = await c.waitForClose(timeout: timeout)
        let took = ContinuousClock.now - c.openedAt
        await c.close()
        return (c.received, took)
    }

    func close() async {
        try? await channel.close()
    }

    /// Collects inbound bytes on the channel's event loop.
    private final class Collector: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        private let state = Mutex<(bytes: [UInt8], closedAt: ContinuousClock.Instant?)>(([], nil))

        var bytes: [UInt8] { state.withLock { $0.bytes } }
        var closedAt: ContinuousClock.Instant? { state.withLock { $0.closedAt } }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let buffer = unwrapInboundIn(data)
            state.withLock { $0.bytes.append(contentsOf: buffer.readableBytesView) }
        }

        func channelInactive(context: ChannelHandlerContext) {
            state.withLock { $0.closedAt = .now }
            context.fireChannelInactive()
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            context.close(promise: nil)
        }
    }
}

/// A log handler that keeps every line, for tests of what is logged and at which level.
struct RecordingLogHandler: LogHandler {
    struct Entry: Sendable {
        var level: Logger.Level
        var message: String
        var metadata: [String: String]
    }

    final class Box: Sendable {
        let entries = Mutex<[Entry]>([])
        var all: [Entry] { entries.withLock { $0 } }
    }

    let box: Box
    var logLevel: Logger.Level = .debug
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(
        level: Logger.Level, message: Logger.Message, metadata explicit: Logger.Metadata?, source: String, file: String,
        function: String, line: UInt
    ) {
        var merged = metadata
        if let explicit { merged.merge(explicit) { $1 } }
        let entry = Entry(level: level, message: message.description, metadata: merged.mapValues { "\($0)" })
        box.entries.withLock { $0.append(entry) }
    }

    /// A logger writing into a fresh box.
    static func logger() -> (Logger, Box) {
        let box = Box()
        return (Logger(label: "almanac.test") { _ in RecordingLogHandler(box: box) }, box)
    }
}
