import Synchronization

/// Single-flight: one lookup-compute-store per key at a time inside the process.
extension QueryCache {
    struct State {
        var flights: [String: Flight] = [:]
        var nextWaiterID: UInt64 = 0
        /// `RedisPool.breakerTrips` when a failure was last logged.
        var loggedTrip: Int?
        /// A failure was logged and no success has been seen since.
        var degraded = false

        enum Flight {
            /// The leader is looking up or computing; these calls wait for it.
            case running(waiters: [UInt64: CheckedContinuation<FlightResult, any Error>])
            /// The leader has the bytes and is storing them; new calls take them at once.
            case finished(bytes: [UInt8], status: CacheStatus)
        }

        enum Role {
            case lead
            case follow
            case done(bytes: [UInt8], status: CacheStatus)
        }

        mutating func join(_ key: String) -> Role {
            switch flights[key] {
            case nil:
                flights[key] = .running(waiters: [:])
                return .lead
            case .running:
                return .follow
            case .finished(let bytes, let status):
                return .done(bytes: bytes, status: status)
            }
        }

        /// Ends the leader's flight: hands `result` to the waiters and either forgets the
        /// flight or keeps its bytes for newcomers (`keep`) until the leader has stored them.
        mutating func finish(_ key: String, with result: FlightResult, keep: Bool) -> [CheckedContinuation<FlightResult, any Error>] {
            guard case .running(let waiters) = flights[key] else { return [] }
            if keep, case .value(let bytes, let status) = result {
                flights[key] = .finished(bytes: bytes, status: status)
            } else {
                flights[key] = nil
            }
            return Array(waiters.values)
        }
    }

    enum FlightResult: Sendable {
        case value([UInt8], CacheStatus)
        case failed(any Error)
        /// The leader was cancelled before it had a result: try again.
        case abandoned
    }

    func lead(
        key: String,
        ttl: Int,
        pool: RedisPool,
        compute: @Sendable () async throws -> [UInt8]
    ) async throws -> (bytes: [UInt8], status: CacheStatus) {
        var status = CacheStatus.miss
        do {
            if let bytes = try await pool.get(key) {
                noteSuccess()
                redisHits.wrappingAdd(1, ordering: .relaxed)
                near?.put(key, bytes: bytes, ttl: ttl)
                finish(key, with: .value(bytes, .hit), keep: false)
                return (bytes, .hit)
            }
            noteSuccess()
            redisMisses.wrappingAdd(1, ordering: .relaxed)
        } catch {
            noteFailure(error)
            status = .off
        }

        let bytes: [UInt8]
        do {
            bytes = try await compute()
        } catch {
            finish(key, with: Task.isCancelled ? .abandoned : .failed(error), keep: false)
            throw error
        }

        // Kept near also when Redis failed: the key holds the generation, so it cannot
        // answer for a later state of the tenant.
        near?.put(key, bytes: bytes, ttl: ttl)
        guard status == .miss, ttl > 0 else {
            finish(key, with: .value(bytes, status), keep: false)
            return (bytes, status)
        }
        // Release the waiters now, but keep the bytes for newcomers until they are stored,
        // so nobody computes the same key again in the meantime.
        finish(key, with: .value(bytes, status), keep: true)
        do {
            try await pool.set(key, value: bytes, ttlSeconds: ttl)
            noteSuccess()
        } catch {
            noteFailure(error)
        }
        state.withLock { state in
            if case .finished = state.flights[key] { state.flights[key] = nil }
        }
        return (bytes, status)
    }

    private func finish(_ key: String, with result: FlightResult, keep: Bool) {
        let waiters = state.withLock { state in state.finish(key, with: result, keep: keep) }
        for waiter in waiters { waiter.resume(returning: result) }
    }

    /// Waits for the running flight of `key`; `.abandoned` when there is none any more.
    func follow(key: String) async throws -> FlightResult {
        let id = state.withLock { state in
            state.nextWaiterID &+= 1
            return state.nextWaiterID
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<FlightResult, any Error>) in
                let immediate: Result<FlightResult, any Error>? = state.withLock { state in
                    if Task.isCancelled { return .failure(CancellationError()) }
                    switch state.flights[key] {
                    case .running(var waiters):
                        waiters[id] = continuation
                        state.flights[key] = .running(waiters: waiters)
                        return nil
                    case .finished(let bytes, let status):
                        return .success(.value(bytes, status))
                    case nil:
                        return .success(.abandoned)
                    }
                }
                if let immediate { continuation.resume(with: immediate) }
            }
        } onCancel: {
            let continuation = state.withLock { state -> CheckedContinuation<FlightResult, any Error>? in
                guard case .running(var waiters) = state.flights[key],
                      let continuation = waiters.removeValue(forKey: id)
                else { return nil }
                state.flights[key] = .running(waiters: waiters)
                return continuation
            }
            continuation?.resume(throwing: CancellationError())
        }
    }
}
