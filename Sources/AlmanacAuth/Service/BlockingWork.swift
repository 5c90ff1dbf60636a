/// Where CPU-heavy auth work runs: scrypt (16 MiB and tens of milliseconds per secret
/// check) must not occupy an event loop or a Swift-concurrency cooperative thread.
///
/// The server hands in a thread pool's `submit` (`NIOThreadPool` in AlmanacServer); the
/// CLI and unit tests use `.inline`. The pool's size also bounds how many scrypt
/// computations run at once, hence how much memory a flood of token requests can take.
public struct BlockingWork: Sendable {
    public typealias Submit = @Sendable (_ work: @escaping @Sendable () -> Void) -> Void

    private let submit: Submit?

    /// Runs each piece of work through `submit`, which must call it exactly once.
    public init(submit: @escaping Submit) { self.submit = submit }

    private init() { submit = nil }

    /// Runs work on the calling thread.
    public static let inline = BlockingWork()

    public func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        guard let submit else { return try body() }
        return try await withCheckedThrowingContinuation { continuation in
            submit { continuation.resume(with: Result { try body() }) }
        }
    }
}
