import AlmanacCore

/// An opaque paging cursor: base64url JSON naming the query it belongs to (a fingerprint),
/// and where the previous page ended — the sort key of its last hit (exact continuation
/// under writes) or, for relevance order, the count so far and the last id.
public struct Cursor: Sendable, Equatable {
    public var fingerprint: String
    public var key: [UInt8]?
    public var offset: Int
    public var lastID: String?

    public init(fingerprint: String, key: [UInt8]?, offset: Int, lastID: String?) {
        self.fingerprint = fingerprint
        self.key = key
        self.offset = offset
        self.lastID = lastID
    }

    public var encoded: String {
        var o = JSONObject()
        o["f"] = .string(fingerprint)
        if let key { o["k"] = .string(Base64.encode(key)) }
        o["o"] = .int(Int64(offset))
        if let lastID { o["i"] = .string(lastID) }
        return Base64.encode(JSONWriter.encode(.object(o)))
    }

    public static func decode(_ text: String, fingerprint: String) throws(AlmanacError) -> Cursor {
        let broken = AlmanacError.invalidParameter("cursor", "is not a cursor this server issued (use page.next_cursor as given)")
        guard let bytes = Base64.decode(text), case .object(let o)? = try? JSONParser.parse(bytes),
            let f = o["f"]?.stringValue, let offset = o["o"]?.integerValue, offset >= 0
        else { throw broken }
        guard f == fingerprint else {
            throw AlmanacError.invalidParameter("cursor", "belongs to a different query; keep q, filter, sort and facets as they were")
        }
        var key: [UInt8]?
        if let k = o["k"] {
            guard let s = k.stringValue, let decoded = Base64.decode(s) else { throw broken }
            key = decoded
        }
        return Cursor(fingerprint: f, key: key, offset: Int(offset), lastID: o["i"]?.stringValue)
    }

    public static func fingerprint(_ text: String) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in text.utf8 {
            h ^= UInt64(b)
            h = h &* 0x100_0000_01b3
        }
        return String(h, radix: 36)
    }
}

/// base64url without padding (RFC 4648 section 5).
public enum Base64 {
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    public static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 4 / 3 + 3)
        var i = 0
        while i + 3 <= bytes.count {
            let v = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
            out += [alphabet[Int(v >> 18)], alphabet[Int(v >> 12 & 63)], alphabet[Int(v >> 6 & 63)], alphabet[Int(v & 63)]]
            i += 3
        }
        let rest = bytes.count - i
        if rest == 1 {
            let v = UInt32(bytes[i]) << 16
            out += [alphabet[Int(v >> 18)], alphabet[Int(v >> 12 & 63)]]
        } else if rest == 2 {
            let v = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8
            out += [alphabet[Int(v >> 18)], alphabet[Int(v >> 12 & 63)], alphabet[Int(v >> 6 & 63)]]
        }
        return String(decoding: out, as: UTF8.self)
    }

    public static func decode(_ text: String) -> [UInt8]? {
        var values: [UInt8] = []
        for c in text.utf8 {
            switch c {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): values.append(c - 65)
            case UInt8(ascii: "a")...UInt8(ascii: "z"): values.append(c - 97 + 26)
            case UInt8(ascii: "0")...UInt8(ascii: "9"): values.append(c - 48 + 52)
            case UInt8(ascii: "-"): values.append(62)
            case UInt8(ascii: "_"): values.append(63)
            default: return nil
            }
        }
        if values.count % 4 == 1 { return nil }
        var out: [UInt8] = []
        var i = 0
        while i < values.count {
            let chunk = values[i..<min(i + 4, values.count)]
            var v: UInt32 = 0
            for (j, x) in chunk.enumerated() { v |= UInt32(x) << (18 - 6 * j) }
            out.append(UInt8(v >> 16 & 0xFF))
            if chunk.count > 2 { out.append(UInt8(v >> 8 & 0xFF)) }
            if chunk.count > 3 { out.append(UInt8(v & 0xFF)) }
            i += 4
        }
        return out
    }
}
