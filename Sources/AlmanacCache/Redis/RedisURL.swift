import AlmanacCore

/// Where and how to connect: `redis://[[user]:password@]host[:port][/db]`
/// (default port 6379, default database 0), `unix://[[user]:password@]/path/to.sock[?db=N]`,
/// or `redis+sentinel://[[user]:password@]host[:port],host[:port],.../master-name[/db]`:
/// the master that Redis Sentinel knows by that name, asked of the sentinels (default port
/// 26379) in order at every connect, so a failover is followed by reconnecting. The
/// credentials and database are the master's; the sentinels are asked without them.
///
/// With a password the connection sends `AUTH` (`AUTH user password` when a user is
/// given, Redis 6 ACLs); with a database other than 0 it sends `SELECT`. User, password,
/// host and path may be percent-encoded. TLS (`rediss://`) is not supported.
public struct RedisURL: Sendable, Hashable, CustomStringConvertible {
    public enum Endpoint: Sendable, Hashable {
        case tcp(host: String, port: Int)
        case unix(path: String)
        /// The master Redis Sentinel names `master`, asked of `sentinels` in order.
        case sentinel(sentinels: [HostPort], master: String)
    }

    public struct HostPort: Sendable, Hashable, CustomStringConvertible {
        public var host: String
        public var port: Int
        public init(host: String, port: Int) {
            self.host = host
            self.port = port
        }
        public var description: String { (host.contains(":") ? "[\(host)]" : host) + ":\(port)" }
    }

    public static let defaultPort = 6379
    public static let defaultSentinelPort = 26379

    public var endpoint: Endpoint
    public var username: String?
    public var password: String?
    public var database: Int

    public init(endpoint: Endpoint, username: String? = nil, password: String? = nil, database: Int = 0) {
        self.endpoint = endpoint
        self.username = username
        self.password = password
        self.database = database
    }

    public init(_ string: String) throws(RedisError) {
        func invalid(_ why: String) -> RedisError {
            RedisError(.invalidURL, "\(why) in \(RedisURL.redacted(string))")
        }
        guard let schemeEnd = string.firstRange(of: "://") else { throw invalid("missing scheme") }
        let scheme = string[..<schemeEnd.lowerBound].lowercased()
        var rest = Substring(string[schemeEnd.upperBound...])

        // Query (`?db=N`), then fragment-free remainder.
        var query: Substring?
        if let q = rest.firstIndex(of: "?") {
            query = rest[rest.index(after: q)...]
            rest = rest[..<q]
        }
        // The authority ends at the first "/" after the last "@" (a password may contain "/"
        // only percent-encoded, but be lenient about "@" in it: the last "@" wins).
        var userinfo: Substring?
        if let at = rest.lastIndex(of: "@"), !(scheme == "unix" && rest.hasPrefix("/")) {
            userinfo = rest[..<at]
            rest = rest[rest.index(after: at)...]
        }
        if let userinfo {
            if let colon = userinfo.firstIndex(of: ":") {
                let user = try RedisURL.percentDecoded(userinfo[..<colon], in: string)
                username = user.isEmpty ? nil : user
                password = try RedisURL.percentDecoded(userinfo[userinfo.index(after: colon)...], in: string)
            } else {
                // `redis://secret@host` is how some tools spell a password without a user.
                username = nil
                password = try RedisURL.percentDecoded(userinfo, in: string)
            }
        } else {
            username = nil
            password = nil
        }
        database = 0

        switch scheme {
        case "redis":
            let authority: Substring
            var path: Substring = ""
            if let slash = rest.firstIndex(of: "/") {
                authority = rest[..<slash]
                path = rest[rest.index(after: slash)...]
            } else {
                authority = rest
            }
            let (host, port) = try RedisURL.hostAndPort(authority, in: string)
            endpoint = .tcp(host: host, port: port)
            if !path.isEmpty {
                guard let db = Int(path), db >= 0 else { throw invalid("bad database number") }
                database = db
            }
        case "redis+sentinel":
            guard let slash = rest.firstIndex(of: "/") else { throw invalid("missing master name") }
            var sentinels: [HostPort] = []
            for authority in rest[..<slash].split(separator: ",", omittingEmptySubsequences: false) {
                let (host, port) = try RedisURL.hostAndPort(authority, in: string, defaultPort: RedisURL.defaultSentinelPort)
                sentinels.append(HostPort(host: host, port: port))
            }
            let path = rest[rest.index(after: slash)...].split(separator: "/", omittingEmptySubsequences: false)
            let master = try RedisURL.percentDecoded(path[0], in: string)
            guard !master.isEmpty else { throw invalid("missing master name") }
            guard path.count <= 2 else { throw invalid("bad path after the master name") }
            if path.count == 2 {
                guard let db = Int(path[1]), db >= 0 else { throw invalid("bad database number") }
                database = db
            }
            endpoint = .sentinel(sentinels: sentinels, master: master)
        case "unix":
            let path = try RedisURL.percentDecoded(rest, in: string)
            guard path.hasPrefix("/") else { throw invalid("unix socket path must be absolute") }
            endpoint = .unix(path: path)
        case "rediss":
            throw invalid("TLS is not supported")
        default:
            throw invalid("unknown scheme '\(scheme)'")
        }

        for item in (query ?? "").split(separator: "&") where !item.isEmpty {
            let pair = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard pair.count == 2 else { throw invalid("bad query item '\(item)'") }
            switch pair[0] {
            case "db":
                guard let db = Int(pair[1]), db >= 0 else { throw invalid("bad database number") }
                database = db
            default:
                throw invalid("unknown query parameter '\(pair[0])'")
            }
        }
    }

    /// The URL with the password replaced by `***`, safe to log.
    public var description: String {
        var auth = ""
        if username != nil || password != nil {
            auth = (username ?? "") + (password == nil ? "" : ":***") + "@"
        }
        switch endpoint {
        case .tcp(let host, let port):
            let shownHost = host.contains(":") ? "[\(host)]" : host
            return "redis://\(auth)\(shownHost):\(port)" + (database == 0 ? "" : "/\(database)")
        case .unix(let path):
            return "unix://\(auth)\(path)" + (database == 0 ? "" : "?db=\(database)")
        case .sentinel(let sentinels, let master):
            return "redis+sentinel://\(auth)\(sentinels.map(\.description).joined(separator: ","))/\(master)"
                + (database == 0 ? "" : "/\(database)")
        }
    }

    private static func hostAndPort(
        _ authority: Substring, in url: String, defaultPort: Int = RedisURL.defaultPort
    ) throws(RedisError) -> (String, Int) {
        var host: Substring
        var portText: Substring?
        if authority.hasPrefix("[") {
            // IPv6 literal: [::1]:6379
            guard let close = authority.firstIndex(of: "]") else {
                throw RedisError(.invalidURL, "unterminated IPv6 address in \(redacted(url))")
            }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.first == ":" else { throw RedisError(.invalidURL, "bad port in \(redacted(url))") }
                portText = after.dropFirst()
            }
        } else if let colon = authority.lastIndex(of: ":") {
            host = authority[..<colon]
            portText = authority[authority.index(after: colon)...]
        } else {
            host = authority
        }
        let decodedHost = try percentDecoded(host, in: url)
        guard !decodedHost.isEmpty else { throw RedisError(.invalidURL, "missing host in \(redacted(url))") }
        var port = defaultPort
        if let portText {
            guard let p = Int(portText), (1...65535).contains(p) else {
                throw RedisError(.invalidURL, "bad port in \(redacted(url))")
            }
            port = p
        }
        return (decodedHost, port)
    }

    private static func percentDecoded(_ text: Substring, in url: String) throws(RedisError) -> String {
        guard text.contains("%") else { return String(text) }
        // Invalid UTF-8 is repaired, not refused: the server decides what it accepts.
        do {
            return String(decoding: try PercentDecoding.bytes(text, plusIsSpace: false), as: UTF8.self)
        } catch {
            throw RedisError(.invalidURL, "bad percent-encoding in \(redacted(url))")
        }
    }

    /// `url` with any userinfo dropped, for error messages.
    private static func redacted(_ url: String) -> String {
        guard let schemeEnd = url.firstRange(of: "://"), let at = url.lastIndex(of: "@"),
              at > schemeEnd.upperBound
        else { return url }
        return String(url[..<schemeEnd.upperBound]) + "***@" + String(url[url.index(after: at)...])
    }
}
