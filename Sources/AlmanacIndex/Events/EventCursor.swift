import AlmanacCore

/// The timeline's paging cursor: where the previous page ended, as the sort key Xapian
/// continues after (`searchAfter`) plus the event's time and id, which say which month to
/// resume in. Opaque to clients (base64url JSON); it names the query it belongs to.
struct EventCursor: Equatable {
    var fingerprint: String
    /// The last hit's sort key (occurred_at, id) as the key maker encoded it.
    var key: [UInt8]
    var occurredAt: Int64
    var id: String

    var encoded: String {
        var o = JSONObject()
        o["f"] = .string(fingerprint)
        o["k"] = .string(Base64.encode(key))
        o["t"] = .int(occurredAt)
        o["i"] = .string(id)
        return Base64.encode(JSONWriter.encode(.object(o)))
    }

    static func decode(_ text: String, fingerprint: String) throws(AlmanacError) -> EventCursor {
        let broken = AlmanacError.invalidParameter("cursor", "is not a cursor this server issued (use page.next_cursor as given)")
        guard let bytes = Base64.decode(text), case .object(let o)? = try? JSONParser.parse(bytes),
            let f = o["f"]?.stringValue, let k = o["k"]?.stringValue, let key = Base64.decode(k),
            let t = o["t"]?.integerValue, let id = o["i"]?.stringValue
        else { throw broken }
        guard f == fingerprint else {
            throw AlmanacError.invalidParameter("cursor", "belongs to a different query; keep q, filter, from, to and sort as they were")
        }
        return EventCursor(fingerprint: f, key: key, occurredAt: t, id: id)
    }
}
