import AlmanacCore
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import AlmanacApp

/// The slow-client limits of the HTTP/1 edge (`AlmanacConfiguration.Timeouts`).
public struct EdgeTimeoutLimits: Sendable {
    public var header: Duration
    public var body: Duration
    public var bodyMinBytesPerSecond: Double
    public var idle: Duration

    public init(header: Duration, body: Duration, bodyMinBytesPerSecond: Double, idle: Duration) {
        self.header = header
        self.body = body
        self.bodyMinBytesPerSecond = bodyMinBytesPerSecond
        self.idle = idle
    }

    init(_ t: AlmanacConfiguration.Timeouts) {
        self.init(
            header: .milliseconds(Int64(t.headerSeconds * 1000)), body: .milliseconds(Int64(t.bodySeconds * 1000)),
            bodyMinBytesPerSecond: t.bodyMinBytesPerSecond, idle: .milliseconds(Int64(t.idleSeconds * 1000)))
    }
}

/// A slow client ran out of time. Thrown into the request body of a request whose body
/// arrives too slowly, so the route ends with a 408 through `ProblemMiddleware`.
public struct EdgeTimeout: Error, Sendable, CustomStringConvertible {
    public enum Phase: String, Sendable, CaseIterable {
        /// The request head (request line and headers) did not arrive in time.
        case header
        /// The body arrived slower than the minimum rate.
        case body
        /// A keep-alive connection stayed idle (closed without an answer).
        case idle
    }

    public let phase: Phase
    let limits: EdgeTimeoutLimits

    public var detail: String {
        switch phase {
        case .header:
            "the request head did not arrive within \(Self.seconds(limits.header)); the connection is closed"
        case .body:
            "the request body arrived slower than \(Int(limits.bodyMinBytesPerSecond)) bytes/s after the first \(Self.seconds(limits.body)); the connection is closed"
        case .idle:
            "the connection was idle for \(Self.seconds(limits.idle))"
        }
    }

    public var description: String { "\(phase) timeout: \(detail)" }

    static func seconds(_ d: Duration) -> String {
        let ms = d.components.seconds * 1000 + d.components.attoseconds / 1_000_000_000_000_000
        return ms % 1000 == 0 ? "\(ms / 1000) s" : "\(Double(ms) / 1000) s"
    }
}

/// Hummingbird's HTTP/1 child channel with Almanac's edge around it:
/// - slow-client timeouts (header, body at a minimum rate, idle keep-alive), on the
///   channel's event loop, never blocking it (``EdgeTimeoutHandler``);
/// - problem+json for the errors the HTTP parser answers before any route runs (a bare
///   `400` with an empty body in Hummingbird).
struct AlmanacHTTP1Channel: ServerChildChannel, HTTPChannelHandler {
    typealias Value = NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>

    let responder: HTTPChannelHandler.Responder
    let limits: EdgeTimeoutLimits
    let decoder: HTTP1Channel.Configuration.DecoderConfiguration
    let onTimeout: @Sendable (EdgeTimeout.Phase) -> Void

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let handler = EdgeTimeoutHandler(limits: limits, logger: logger, onTimeout: onTimeout)
        let observer = EdgeByteObserver(handler)
        do {
            try channel.pipeline.syncOperations.addHandler(observer)
        } catch {
            return channel.eventLoop.makeFailedFuture(error)
        }
        let bound = NIOLoopBound(handler, eventLoop: channel.eventLoop)
        let http1 = HTTP1Channel(
            responder: responder,
            configuration: .init(additionalChannelHandlers: [bound.value], idleTimeout: nil, httpDecoderConfiguration: decoder))
        return http1.setup(channel: channel, logger: logger)
    }

    func handle(value asyncChannel: Value, logger: Logger) async {
        await handleHTTP(asyncChannel: asyncChannel, logger: logger)
    }
}

/// Sits first in the pipeline, before the HTTP decoder: tells ``EdgeTimeoutHandler`` when
/// bytes arrive (a request has begun), and when the server is not asking for more (its
/// request handling applies backpressure), which pauses the clocks: a client is only
/// timed out for its own slowness.
final class EdgeByteObserver: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = IOData
    typealias OutboundOut = IOData

    private let edge: EdgeTimeoutHandler

    init(_ edge: EdgeTimeoutHandler) { self.edge = edge }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        edge.bytesArrived(buffer)
        context.fireChannelRead(data)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        edge.readCompleted()
        context.fireChannelReadComplete()
    }

    func read(context: ChannelHandlerContext) {
        edge.readRequested()
        context.read()
    }
}

/// The edge's clocks for one connection, between the HTTP/1 codec and Hummingbird's
/// request handling (it sees request and response parts as they are decoded and encoded).
///
/// - **Header**: from the first byte of a request (for a connection's first request, from
///   its accept) until the head is complete. Over it: a `408` problem+json and close (a
///   connection that sent nothing at all is closed without an answer).
/// - **Body**: a body must be complete within `body + received / minRate` of its head (the
///   model of Apache's mod_reqtimeout). Over it, the route reading the body gets
///   ``EdgeTimeout`` (it answers `408` through `ProblemMiddleware`) and the connection
///   closes once that answer is out (or after a second, whatever happens).
/// - **Idle**: a keep-alive connection without a request in progress closes after `idle`.
///
/// The clocks stop while the server does not read (backpressure) and while a request is
/// being answered. Everything runs on the channel's event loop: one scheduled task at a
/// time, no locks, nothing blocking.
final class EdgeTimeoutHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private enum Phase {
        /// No request in progress (`fresh`: none yet on this connection).
        case idle
        /// Bytes of a request head have arrived, the head is not complete.
        case head
        /// The head is in, the body is arriving.
        case body
        /// The request is read; it is being answered.
        case answering
    }

    private let limits: EdgeTimeoutLimits
    private let logger: Logger
    private let onTimeout: @Sendable (EdgeTimeout.Phase) -> Void

    private var context: ChannelHandlerContext?
    private var phase = Phase.idle
    private var fresh = true
    private var phaseStart = NIODeadline.now()
    private var bodyBytes = 0
    /// Time within the phase during which the server did not ask for data.
    private var paused = TimeAmount.zero
    private var pausedSince: NIODeadline?
    /// Requests whose head arrived and whose answer has not ended.
    private var unanswered = 0
    /// The answer to the request being read has begun (its head was written).
    private var answerStarted = false
    /// Bytes of the next request arrived while one was being answered (pipelining).
    private var nextRequestSince: NIODeadline?
    private var timer: Scheduled<Void>?
    /// When `timer` fires.
    private var timerDeadline = NIODeadline.distantFuture
    private var timedOut: EdgeTimeout.Phase?
    /// Hummingbird's bare `400` for a parse error is rewritten as problem+json.
    private var parserError: HTTPParserError?
    /// Bytes of the current request before its first line feed, and whether it was seen:
    /// tells an over-long request line (414) from over-long header fields (431).
    private var requestLineBytes = 0
    private var requestLineSeen = false
    private var rewritingParserAnswer: (status: HTTPResponse.Status, body: ByteBuffer)?

    init(limits: EdgeTimeoutLimits, logger: Logger, onTimeout: @escaping @Sendable (EdgeTimeout.Phase) -> Void) {
        self.limits = limits
        self.logger = logger
        self.onTimeout = onTimeout
    }

    // MARK: Channel events

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        phaseStart = .now()
        if context.channel.isActive { arm() }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        phaseStart = .now()
        arm()
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            enter(.body)
            fresh = false
            bodyBytes = 0
            unanswered += 1
            answerStarted = false
            requestLineSeen = false
            requestLineBytes = 0
            arm()
        case .body(let buffer):
            bodyBytes += buffer.readableBytes
        case .end:
            enter(unanswered > 0 ? .answering : .idle)
            arm()
        }
        context.fireChannelRead(data)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let e = error as? HTTPParserError { parserError = e }
        context.fireErrorCaught(error)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if timedOut == .header {
            // The connection was answered with a 408 and is closing: nothing else goes out.
            promise?.fail(ChannelError.ioOnClosedChannel)
            return
        }
        let part = unwrapOutboundIn(data)
        switch part {
        case .head(let head):
            if phase == .body { answerStarted = true }
            if let problem = parserProblem(for: head) {
                rewritingParserAnswer = problem.1
                context.write(wrapOutboundOut(.head(problem.0)), promise: promise)
                return
            }
        case .body:
            if rewritingParserAnswer != nil {
                promise?.succeed()
                return
            }
        case .end:
            if let rewrite = rewritingParserAnswer {
                rewritingParserAnswer = nil
                context.write(wrapOutboundOut(.body(rewrite.body)), promise: nil)
            }
            unanswered = max(0, unanswered - 1)
            if timedOut == .body {
                context.writeAndFlush(data, promise: promise)
                context.close(promise: nil)
                return
            }
            if unanswered == 0, phase == .answering {
                if let since = nextRequestSince {
                    enter(.head, at: since)
                    nextRequestSince = nil
                } else {
                    enter(.idle)
                }
                arm()
            }
        }
        context.write(data, promise: promise)
    }

    // MARK: From the byte observer

    func bytesArrived(_ buffer: ByteBuffer) {
        switch phase {
        case .idle:
            // A fresh connection's first request is timed from its accept.
            enter(.head, at: fresh ? phaseStart : .now())
            noteRequestLine(buffer)
            arm()
        case .head:
            noteRequestLine(buffer)
        case .body:
            break
        case .answering:
            if nextRequestSince == nil { nextRequestSince = .now() }
        }
    }

    func readCompleted() {
        // Until the server asks for more, the client is not the one being slow.
        if pausedSince == nil { pausedSince = .now() }
    }

    func readRequested() {
        if let since = pausedSince {
            paused = paused + (.now() - since)
            pausedSince = nil
            // A scheduled check fires no later than the allowance now ends; only a clock
            // that was stopped needs arming.
            if timer == nil { arm() }
        }
    }

    // MARK: The clocks

    private func enter(_ next: Phase, at start: NIODeadline = .now()) {
        phase = next
        phaseStart = start
        paused = .zero
        if pausedSince != nil { pausedSince = .now() }
    }

    /// Time the client has had in this phase: wall time minus the server's pauses.
    private func elapsed(now: NIODeadline) -> TimeAmount {
        var e = now - phaseStart - paused
        if let since = pausedSince { e = e - (now - since) }
        return e
    }

    private func allowance() -> TimeAmount? {
        switch phase {
        case .idle: fresh ? Self.amount(limits.header) : Self.amount(limits.idle)
        case .head: Self.amount(limits.header)
        case .body:
            Self.amount(limits.body) + .nanoseconds(Int64(Double(bodyBytes) / max(limits.bodyMinBytesPerSecond, 1) * 1e9))
        case .answering: nil
        }
    }

    /// Makes sure the one check of this connection runs no later than the phase's
    /// allowance runs out. A check scheduled earlier stays: `check` recomputes and re-arms
    /// when it fires early, and the clocks only ever move a deadline later (a pause, a new
    /// phase with a longer allowance), so a request costs one scheduled task, not one per
    /// phase (scheduling and cancelling were 5% of a cached search's CPU).
    private func arm() {
        guard let context, timedOut == nil, let allowance = allowance() else { return }
        // While the server is not reading, the clock is stopped: re-armed when it reads.
        if pausedSince != nil, phase != .idle { return }
        let now = NIODeadline.now()
        let deadline = now + max(allowance - elapsed(now: now), .milliseconds(1))
        if timer != nil, timerDeadline <= deadline { return }
        timer?.cancel()
        timerDeadline = deadline
        timer = context.eventLoop.scheduleTask(deadline: deadline) { [weak self] in
            self?.check()
        }
    }

    private func check() {
        timer = nil
        timerDeadline = .distantFuture
        guard let context, timedOut == nil, let allowance = allowance() else { return }
        let now = NIODeadline.now()
        if elapsed(now: now) < allowance {
            arm()
            return
        }
        switch phase {
        case .idle:
            expire(.idle, context: context, answer: false)
        case .head:
            expire(.header, context: context, answer: unanswered == 0)
        case .body:
            expire(.body, context: context, answer: !answerStarted)
        case .answering:
            break
        }
    }

    private func expire(_ what: EdgeTimeout.Phase, context: ChannelHandlerContext, answer: Bool) {
        timedOut = what
        onTimeout(what)
        let peer = context.channel.remoteAddress?.description ?? "-"
        logger.debug("closing a slow connection", metadata: ["timeout": "\(what.rawValue)", "peer": "\(peer)"])
        let timeout = EdgeTimeout(phase: what, limits: limits)
        switch what {
        case .idle:
            context.close(promise: nil)
        case .header:
            guard answer else {
                context.close(promise: nil)
                return
            }
            // No route runs for a request without a head: answer here, rendered by the one
            // problem renderer, then close.
            let problem = Problem(timeout)
            let body = ByteBuffer(bytes: JSONWriter.encode(problem.json))
            var fields = HTTPFields()
            fields[.contentType] = "application/problem+json"
            fields[.contentLength] = String(body.readableBytes)
            fields[.connection] = "close"
            context.write(wrapOutboundOut(.head(HTTPResponse(status: .requestTimeout, headerFields: fields))), promise: nil)
            context.write(wrapOutboundOut(.body(body)), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in context.close(promise: nil) }
        case .body:
            guard answer else {
                context.close(promise: nil)
                return
            }
            // The route reading the body gets the error and answers 408 (counted under its
            // route); the connection closes once that answer ends, or in a second anyway.
            context.fireErrorCaught(timeout)
            context.eventLoop.scheduleTask(in: .seconds(1)) { context.close(promise: nil) }
        }
    }

    static func amount(_ d: Duration) -> TimeAmount {
        let (s, atto) = d.components
        return .nanoseconds(s * 1_000_000_000 + atto / 1_000_000_000)
    }

    // MARK: Parser errors as problem+json

    private func noteRequestLine(_ buffer: ByteBuffer) {
        guard !requestLineSeen else { return }
        let view = buffer.readableBytesView
        if let newline = view.firstIndex(of: UInt8(ascii: "\n")) {
            requestLineBytes += view.distance(from: view.startIndex, to: newline)
            requestLineSeen = true
        } else {
            requestLineBytes += buffer.readableBytes
        }
    }

    /// Hummingbird answers a request the HTTP parser refused with a bare `400`
    /// (`Content-Length: 0`, `Connection: close`); this gives it a status that says what
    /// was wrong and a problem+json body.
    private func parserProblem(for head: HTTPResponse) -> (HTTPResponse, (status: HTTPResponse.Status, body: ByteBuffer))? {
        guard let error = parserError, head.status == .badRequest, head.headerFields[.contentLength] == "0",
            head.headerFields[.contentType] == nil
        else { return nil }
        parserError = nil
        let problem: Problem
        switch error {
        case .headerOverflow:
            let bytes = HTTP1Channel.Configuration.DecoderConfiguration().maxHeaderListSize
            let limit = "\(ByteCount(bytes))"
            problem =
                requestLineSeen && requestLineBytes < bytes
                ? Problem(
                    status: 431, slug: "request-header-fields-too-large", title: "Request header fields too large",
                    detail: "the request's header fields are larger than the \(limit) limit")
                : Problem(
                    status: 414, slug: "uri-too-long", title: "URI too long",
                    detail: "the request line is longer than the \(limit) limit")
        case .invalidURL, .invalidCharactersUsed, .invalidMethod, .invalidVersion, .invalidHeaderToken, .invalidConstant,
            .strictModeAssertion, .unknown:
            problem = Problem(
                status: 400, slug: "bad-request", title: "Bad request",
                detail: "the request is not valid HTTP/1.1 (\(error)): the request line and header names must be ASCII; percent-encode anything else")
        default:
            problem = Problem(
                status: 400, slug: "bad-request", title: "Bad request", detail: "the request is not valid HTTP/1.1 (\(error))")
        }
        let body = ByteBuffer(bytes: JSONWriter.encode(problem.json))
        var fields = head.headerFields
        fields[.contentType] = "application/problem+json"
        fields[.contentLength] = String(body.readableBytes)
        let status = HTTPResponse.Status(code: problem.status)
        return (HTTPResponse(status: status, headerFields: fields), (status, body))
    }
}
