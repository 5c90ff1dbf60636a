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

    /// The body parsed as one JSON value (at most `limit` bytes). The Content-Type must be
    /// `application/json` (for PATCH also `application/merge-patch+json`) or absent; any
    /// other is a 415 (API.md, "Conventions").
    public mutating func jsonBody(limit: Int) async throws -> JSONValue {
        try requireContentType(method == .patch ? ["application/json", "application/merge-patch+json"] : ["application/json"])
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

    /// Throws a 415 unless the Content-Type (its media type, parameters such as `charset`
    /// aside, case-insensitive) is one of `accepted`. A request without Content-Type passes:
    /// the documented type is assumed.
    public func requireContentType(_ accepted: [String]) throws {
        guard let header = headers[.contentType] else { return }
        let mediaType = header.split(separator: ";", maxSplits: 1).first.map { String($0).trimmingCharacters(in: " ").lowercased() } ?? ""
        guard !accepted.contains(mediaType) else { return }
        var detail = "Content-Type '\(header.prefix(100))' is not accepted here: send \(accepted.joined(separator: " or ")), or no Content-Type"
        if mediaType == "application/x-www-form-urlencoded" {
            detail += " (curl -d sends application/x-www-form-urlencoded: add -H 'Content-Type: \(accepted[0])')"
        }
        throw AlmanacError(.unsupportedMediaType, detail)
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
