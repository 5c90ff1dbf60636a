import AlmanacStore
import AlmanacCore
import Hummingbird
import NIOCore

/// Streams an `application/x-ndjson` body line by line, never holding the whole body:
/// each complete line goes to `body` with its 1-based number as soon as it arrives.
/// Blank lines are skipped (they still count for numbering). Over `maxBytes` is a 413,
/// over `maxLines` non-blank lines a 413 naming that limit. The Content-Type must be
/// `application/x-ndjson` or absent (else 415).
enum NDJSONReader {
    static func forEachLine(
        of request: Request, maxBytes: Int, maxLines: Int,
        _ body: (_ number: Int, _ line: ArraySlice<UInt8>) throws -> Void
    ) async throws {
        try request.requireContentType(["application/x-ndjson"])
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > maxBytes {
            throw AlmanacError(.payloadTooLarge, "bulk body of \(length) bytes is larger than the \(ByteCount(maxBytes)) limit")
        }
        var pending: [UInt8] = []
        var total = 0
        var number = 0
        var nonBlank = 0
        func emit(_ line: ArraySlice<UInt8>) throws {
            number += 1
            var slice = line
            if slice.last == UInt8(ascii: "\r") { slice = slice.dropLast() }
            if slice.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { return }
            nonBlank += 1
            if nonBlank > maxLines {
                throw AlmanacError(.payloadTooLarge, "bulk body has more than the limit of \(maxLines) lines")
            }
            try body(number, slice)
        }
        for try await buffer in request.body {
            total += buffer.readableBytes
            if total > maxBytes {
                throw AlmanacError(.payloadTooLarge, "bulk body is larger than the \(ByteCount(maxBytes)) limit")
            }
            buffer.withUnsafeReadableBytes { raw in pending.append(contentsOf: raw) }
            var start = pending.startIndex
            while let newline = pending[start...].firstIndex(of: UInt8(ascii: "\n")) {
                try emit(pending[start..<newline])
                start = newline + 1
            }
            if start > 0 { pending.removeSubrange(..<start) }
        }
        if !pending.isEmpty { try emit(pending[...]) }
    }
}
