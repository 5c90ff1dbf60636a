public import AlmanacCore

/// An opaque paging cursor, the one scheme of every paged list: base64url JSON naming the
/// query it belongs to (a fingerprint), and where the previous page ended — the sort key
/// of its last hit (exact continuation under writes) or, for relevance order, the count
/// so far and the last id. Cursors of time-ordered results (the timeline) carry the last
/// hit's time instead of a count: it says which month to resume in.
///
/// The text is `{"f":…,"k":…,"t":…,"o":…,"i":…}` (members in that order, `k`, `t` and
/// `i` only when set, `o` only without `t`), so each kind of cursor reads as it always has.
public struct Cursor: Sendable, Equatable {
    public var fingerprint: String
    public var key: [UInt8]?
    public var offset: Int
    public var lastID: String?
    /// The last hit's time (microseconds), for time-ordered results; nil otherwise.
    public var time: Int64?

    public init(fingerprint: String, key: [UInt8]?, offset: Int, lastID: String?) {
        self.fingerprint = fingerprint
        self.key = key
        self.offset = offset
        self.lastID = lastID
        self.time = nil
    }

    /// A cursor of time-ordered results: the last hit's sort key, time and id.
    public init(fingerprint: String, key: [UInt8], time: Int64, lastID: String) {
        self.fingerprint = fingerprint
        self.key = key
        self.offset = 0
        self.lastID = lastID
        self.time = time
    }

    /// What a kind of cursor must carry, and the request parameters a client must keep
    /// between its pages (named when a cursor of another query comes back).
    public struct Scheme: Sendable {
        /// Required: the count so far (`o`); optional: the key and the last id.
        public static let search = Scheme(timeOrdered: false, keep: "q, filter, sort and facets")
        /// Required: the key, the time and the last id; no count.
        public static let timeline = Scheme(timeOrdered: true, keep: "q, filter, from, to and sort")

        let timeOrdered: Bool
        let keep: String
    }

    public var encoded: String {
        var o = JSONObject()
        o["f"] = .string(fingerprint)
        if let key { o["k"] = .string(Base64URL.encode(key)) }
        if let time {
            o["t"] = .int(time)
        } else {
            o["o"] = .int(Int64(offset))
        }
        if let lastID { o["i"] = .string(lastID) }
        return Base64URL.encode(JSONWriter.encode(.object(o)))
    }

    /// Reads a cursor this server issued for the query named by `fingerprint`. The members
    /// `scheme` requires are checked first (a text without them is no cursor of this
    /// scheme), then the fingerprint, then the optional members.
    public static func decode(_ text: String, fingerprint: String, scheme: Scheme = .search) throws(AlmanacError) -> Cursor {
        let broken = AlmanacError.invalidParameter("cursor", "is not a cursor this server issued (use page.next_cursor as given)")
        guard let bytes = Base64URL.decode(text), case .object(let o)? = try? JSONParser.parse(bytes),
            let f = o["f"]?.stringValue
        else { throw broken }
        func key() throws(AlmanacError) -> [UInt8]? {
            guard let k = o["k"] else { return nil }
            guard let s = k.stringValue, let decoded = Base64URL.decode(s) else { throw broken }
            return decoded
        }
        func checkFingerprint() throws(AlmanacError) {
            guard f == fingerprint else {
                throw AlmanacError.invalidParameter("cursor", "belongs to a different query; keep \(scheme.keep) as they were")
            }
        }
        if scheme.timeOrdered {
            guard let key = try key(), let t = o["t"]?.integerValue, let id = o["i"]?.stringValue else { throw broken }
            try checkFingerprint()
            return Cursor(fingerprint: f, key: key, time: t, lastID: id)
        }
        guard let offset = o["o"]?.integerValue, offset >= 0 else { throw broken }
        try checkFingerprint()
        return Cursor(fingerprint: f, key: try key(), offset: Int(offset), lastID: o["i"]?.stringValue)
    }

    public static func fingerprint(_ text: String) -> String {
        String(FNV1a64.hash(text), radix: 36)
    }
}
