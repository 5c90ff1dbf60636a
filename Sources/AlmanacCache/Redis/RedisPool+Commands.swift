extension RedisPool {
    /// Sends one command (`arguments[0]` is its name), binary safe. An error reply is
    /// returned as ``RedisReply/error(_:)``; connection problems and a tripped breaker throw.
    public func command(_ arguments: [[UInt8]]) async throws -> RedisReply {
        try await withConnection { connection in try connection.send(arguments) }
    }

    /// Convenience for textual arguments.
    public func command(_ arguments: String...) async throws -> RedisReply {
        try await command(arguments.map { Array($0.utf8) })
    }

    /// `GET key`: the stored bytes, or `nil` when the key does not exist.
    public func get(_ key: [UInt8]) async throws -> [UInt8]? {
        try await withConnection { connection in
            try connection.send([Array("GET".utf8), key]).bulkOrNull()
        }
    }

    public func get(_ key: String) async throws -> [UInt8]? {
        try await get(Array(key.utf8))
    }

    /// `SET key value [EX ttlSeconds]`. `ttlSeconds` must be positive when given.
    public func set(_ key: [UInt8], value: [UInt8], ttlSeconds: Int? = nil) async throws {
        var arguments = [Array("SET".utf8), key, value]
        if let ttlSeconds {
            guard ttlSeconds > 0 else {
                throw RedisError(.invalidArgument, "TTL must be positive, got \(ttlSeconds)")
            }
            arguments += [Array("EX".utf8), Array(String(ttlSeconds).utf8)]
        }
        try await withConnection { [arguments] connection in
            try connection.send(arguments).expectOK()
        }
    }

    public func set(_ key: String, value: [UInt8], ttlSeconds: Int? = nil) async throws {
        try await set(Array(key.utf8), value: value, ttlSeconds: ttlSeconds)
    }

    /// `PING`: true when the server answered `PONG`. Never throws; while the breaker is
    /// tripped it answers `false` at once (or probes, once the retry interval has passed).
    public func ping() async -> Bool {
        (try? await command(["PING"].map { Array($0.utf8) })) == .status("PONG")
    }
}
