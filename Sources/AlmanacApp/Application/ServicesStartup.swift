public import AlmanacCore
import AlmanacStore
import Foundation
public import Logging
public import NIOPosix
import Synchronization

/// What a starting node is doing (`/ready` says it while the services open): a phase,
/// and for the long ones how far it got ("timeline columns: 3 of 12 months").
public final class StartupProgress: Sendable {
    public struct Phase: Sendable, Equatable {
        public var name: String
        public var done: Int?
        public var total: Int?
        public var unit: String?

        public var description: String {
            guard let done, let total else { return name }
            return "\(name): \(done) of \(total)" + (unit.map { " " + $0 } ?? "")
        }
    }

    private let state = Mutex<Phase>(Phase(name: "starting"))

    public init() {}

    public var phase: Phase { state.withLock { $0 } }

    public func begin(_ name: String, total: Int? = nil, unit: String? = nil) {
        state.withLock { $0 = Phase(name: name, done: total == nil ? nil : 0, total: total, unit: unit) }
    }

    public func advance(done: Int) {
        state.withLock { $0.done = done }
    }
}

/// The node's services while they open and once they are open: what the HTTP edge
/// consults before it can route a request (`AlmanacApplication.make(startup:)`).
/// The port opens first; `open()` then does the heavy loading (store, indexes, the
/// timeline's columns) while `/health` answers and `/ready` says what is still loading.
public final class ServicesStartup: Sendable {
    public enum State: Sendable {
        case starting
        case open(AlmanacServices)
        case failed(String)
    }

    public typealias Opener = @Sendable (AlmanacConfiguration, Logger, StartupProgress) async throws -> AlmanacServices

    public let configuration: AlmanacConfiguration
    public let logger: Logger
    public let progress = StartupProgress()
    private let opener: Opener
    private let state = Mutex<State>(.starting)
    private let started = ContinuousClock.now

    /// `open` replaces `AlmanacServices.open` (tests inject a slow step).
    public init(configuration: AlmanacConfiguration, logger: Logger, threadPool: NIOThreadPool? = nil, open: Opener? = nil) {
        self.configuration = configuration
        self.logger = logger
        opener = open ?? { c, logger, progress in try await AlmanacServices.open(c, logger: logger, threadPool: threadPool, progress: progress) }
    }

    public var current: State { state.withLock { $0 } }

    /// The services once open.
    public var services: AlmanacServices? {
        if case .open(let s) = current { return s }
        return nil
    }

    /// Opens the services (once); a failure is kept for `/ready` and rethrown.
    public func open() async throws -> AlmanacServices {
        do {
            let services = try await opener(configuration, logger, progress)
            state.withLock { $0 = .open(services) }
            logger.info("almanac ready", metadata: ["seconds": "\(String(format: "%.2f", seconds))"])
            return services
        } catch {
            state.withLock { $0 = .failed("\(error)") }
            throw error
        }
    }

    private var seconds: Double { (ContinuousClock.now - started).inSeconds }

    /// The error a data route answers while the services are not open: 503 with
    /// `Retry-After`.
    public var unavailable: AlmanacError {
        switch current {
        case .failed(let why): AlmanacError(.unavailable, "the service failed to start: \(why)")
        default: AlmanacError(.unavailable, "the service is starting (\(progress.phase.description))", retryAfter: 1)
        }
    }

    /// `/ready` while the services are not open: always not ready, in the readiness
    /// shape (`status`, `cause`), with what is loading under `starting`.
    public func readiness() -> JSONValue {
        let phase = progress.phase
        var starting = JSONObject()
        starting["phase"] = .string(phase.name)
        starting["seconds"] = .double((seconds * 1000).rounded() / 1000)
        if let done = phase.done, let total = phase.total {
            starting["done"] = .int(Int64(done))
            starting["total"] = .int(Int64(total))
        }
        if let unit = phase.unit { starting["unit"] = .string(unit) }
        let cause: String
        if case .failed(let why) = current { cause = "start failed: \(why)" } else { cause = "starting: \(phase.description)" }
        return [
            "status": "not ready", "cause": .string(cause), "durability": .string(configuration.storeOptions.durability.rawValue),
            "starting": .object(starting),
        ]
    }
}
