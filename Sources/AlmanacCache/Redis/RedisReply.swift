/// A Redis reply, copied out of hiredis' `redisReply` tree (RESP2 types).
public enum RedisReply: Sendable, Hashable {
    /// A status reply (`+OK`).
    case status(String)
    /// An error reply (`-ERR ...`): returned, not thrown, by ``RedisPool/command(_:)``.
    case error(String)
    /// An integer reply (`:1`).
    case integer(Int64)
    /// A bulk string reply, binary safe.
    case bulk([UInt8])
    /// The nil bulk or nil array reply.
    case null
    /// A multi-bulk reply.
    case array([RedisReply])
}

extension RedisReply {
    /// The bytes of a bulk reply, `nil` for `.null`; throws on an error or any other type.
    func bulkOrNull() throws(RedisError) -> [UInt8]? {
        switch self {
        case .bulk(let bytes): return bytes
        case .null: return nil
        case .error(let message): throw RedisError(.serverError, message)
        default: throw RedisError(.unexpectedReply, "expected a bulk string, got \(self.kind)")
        }
    }

    /// Succeeds for a `+OK` status; throws on an error or any other reply.
    func expectOK() throws(RedisError) {
        switch self {
        case .status("OK"): return
        case .error(let message): throw RedisError(.serverError, message)
        default: throw RedisError(.unexpectedReply, "expected OK, got \(self.kind)")
        }
    }

    /// A short name of the reply type, for error messages (never the payload).
    var kind: String {
        switch self {
        case .status: "status"
        case .error: "error"
        case .integer: "integer"
        case .bulk: "bulk"
        case .null: "nil"
        case .array: "array"
        }
    }
}
