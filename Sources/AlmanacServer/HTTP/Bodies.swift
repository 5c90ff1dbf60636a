public import AlmanacCore
public import HTTPTypes
public import Hummingbird
public import NIOCore

extension Request {
    /// Collects the body up to `limit` bytes; over it is a 413 naming the limit.
    public mutating func collectBody(limit: Int) async throws -> ByteBuffer {
        do {
            return try await collectBody(upTo: limit)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw AlmanacError(.payloadTooLarge, "request body is larger than the \(ByteCount(limit)) limit for this call")
        }
    }

    /// The body parsed as one JSON value (at most `limit` bytes).
    public mutating func jsonBody(limit: Int) async throws -> JSONValue {
        if let length = headers[.contentLength].flatMap({ Int($0) }), length > limit {
            throw AlmanacError(.payloadTooLarge, "request body of \(length) bytes is larger than the \(ByteCount(limit)) limit for this call")
        }
        let buffer = try await collectBody(limit: limit)
        do {
            return try buffer.withUnsafeReadableBytes { raw in
                try JSONParser.parse(UnsafeBufferPointer(start: raw.baseAddress?.assumingMemoryBound(to: UInt8.self), count: raw.count))
            }
        } catch let error as JSONParser.Error {
            throw AlmanacError.malformedJSON(error)
        }
    }

    /// `If-Match` as a product version; absent -> nil; unparsable -> 400.
    public func ifMatchVersion() throws -> Int64? {
        guard var text = headers[.ifMatch] else { return nil }
        text = text.trimmingCharacters(in: " ")
        if text.hasPrefix("W/") { text.removeFirst(2) }
        if text.hasPrefix("\"") && text.hasSuffix("\"") && text.count >= 2 { text = String(text.dropFirst().dropLast()) }
        guard let v = Int64(text), v > 0 else {
            throw AlmanacError(.badRequest, "If-Match must be a product version (a positive integer), got '\(text.prefix(32))'")
        }
        return v
    }
}

extension String {
    func trimmingCharacters(in set: Character) -> String {
        var s = Substring(self)
        while s.first == set { s.removeFirst() }
        while s.last == set { s.removeLast() }
        return String(s)
    }
}

/// JSON responses built from bytes the caller rendered.
public enum JSONResponse {
    public static func make(
        _ bytes: [UInt8], status: HTTPResponse.Status = .ok, headers extra: [(HTTPField.Name, String)] = []
    ) -> Response {
        var fields = HTTPFields()
        fields[.contentType] = "application/json"
        for (name, value) in extra { fields.append(HTTPField(name: name, value: value)) }
        return Response(status: status, headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    public static func make(
        _ value: JSONValue, status: HTTPResponse.Status = .ok, headers extra: [(HTTPField.Name, String)] = []
    ) -> Response {
        make(JSONWriter.encode(value), status: status, headers: extra)
    }
}
