/// A strict JSON parser (RFC 8259) that reports what is wrong and where.
///
/// Strict means: no trailing commas, no comments, no duplicate keys, no lone surrogates,
/// only valid UTF-8, nesting at most `maxDepth`. Errors carry the byte offset so a client
/// can find the problem in what it sent.
public struct JSONParser {
    public static let defaultMaxDepth = 64

    public struct Error: Swift.Error, Sendable, Equatable, CustomStringConvertible {
        public var message: String
        public var offset: Int
        public var description: String { "\(message) at byte \(offset)" }
    }

    /// Parses a complete document; anything but whitespace after the value is an error.
    public static func parse(_ bytes: some Collection<UInt8>, maxDepth: Int = defaultMaxDepth) throws(Error) -> JSONValue {
        let result: Result<JSONValue, Error> =
            bytes.withContiguousStorageIfAvailable { buffer in
                parseBuffer(UnsafeRawBufferPointer(buffer), maxDepth: maxDepth)
            } ?? Array(bytes).withUnsafeBytes { parseBuffer($0, maxDepth: maxDepth) }
        return try result.get()
    }

    public static func parse(_ string: String, maxDepth: Int = defaultMaxDepth) throws(Error) -> JSONValue {
        var copy = string
        let result = copy.withUTF8 { parseBuffer(UnsafeRawBufferPointer($0), maxDepth: maxDepth) }
        return try result.get()
    }

    static func parseBuffer(_ buffer: UnsafeRawBufferPointer, maxDepth: Int) -> Result<JSONValue, Error> {
        var parser = Cursor(bytes: buffer, maxDepth: maxDepth)
        do {
            parser.skipWhitespace()
            if parser.index == buffer.count {
                throw Error(message: "empty body: expected a JSON value", offset: 0)
            }
            let value = try parser.parseValue(depth: 0)
            parser.skipWhitespace()
            if parser.index != buffer.count {
                throw Error(message: "unexpected data after the JSON value", offset: parser.index)
            }
            return .success(value)
        } catch let error as Error {
            return .failure(error)
        } catch {
            return .failure(Error(message: "\(error)", offset: parser.index))
        }
    }
}

private struct Cursor {
    let bytes: UnsafeRawBufferPointer
    let maxDepth: Int
    var index = 0

    init(bytes: UnsafeRawBufferPointer, maxDepth: Int) {
        self.bytes = bytes
        self.maxDepth = maxDepth
    }

    typealias Error = JSONParser.Error

    @inline(__always)
    mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x0A, 0x0D, 0x09: index += 1
            default: return
            }
        }
    }

    func describe(_ byte: UInt8) -> String {
        if byte >= 0x21 && byte < 0x7F { return "'\(Character(UnicodeScalar(byte)))'" }
        return "byte 0x" + String(byte, radix: 16, uppercase: true)
    }

    mutating func parseValue(depth: Int) throws(Error) -> JSONValue {
        guard index < bytes.count else { throw Error(message: "unexpected end of input", offset: index) }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try parseObject(depth: depth + 1)
        case UInt8(ascii: "["): return try parseArray(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
        default:
            throw Error(message: "unexpected \(describe(bytes[index])): expected a JSON value", offset: index)
        }
    }

    mutating func literal(_ word: StaticString) throws(Error) {
        let start = index
        let count = word.utf8CodeUnitCount
        guard bytes.count - index >= count else {
            throw Error(message: "invalid literal: expected '\(word)'", offset: start)
        }
        let ptr = word.utf8Start
        for i in 0..<count where bytes[index + i] != ptr[i] {
            throw Error(message: "invalid literal: expected '\(word)'", offset: start)
        }
        index += count
    }

    mutating func parseObject(depth: Int) throws(Error) -> JSONValue {
        if depth > maxDepth { throw Error(message: "nesting deeper than \(maxDepth) levels", offset: index) }
        index += 1
        var entries: [JSONObject.Entry] = []
        skipWhitespace()
        if index < bytes.count && bytes[index] == UInt8(ascii: "}") {
            index += 1
            return .object(JSONObject(entries: entries))
        }
        while true {
            skipWhitespace()
            guard index < bytes.count else { throw Error(message: "unterminated object", offset: index) }
            guard bytes[index] == UInt8(ascii: "\"") else {
                throw Error(message: "unexpected \(describe(bytes[index])): expected a string key", offset: index)
            }
            let keyOffset = index
            let key = try parseString()
            for entry in entries where entry.key == key {
                throw Error(message: "duplicate key \"\(key)\"", offset: keyOffset)
            }
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else {
                throw Error(message: "expected ':' after an object key", offset: index)
            }
            index += 1
            skipWhitespace()
            let value = try parseValue(depth: depth)
            entries.append(JSONObject.Entry(key: key, value: value))
            skipWhitespace()
            guard index < bytes.count else { throw Error(message: "unterminated object", offset: index) }
            switch bytes[index] {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "}"):
                index += 1
                return .object(JSONObject(entries: entries))
            default:
                throw Error(message: "unexpected \(describe(bytes[index])): expected ',' or '}'", offset: index)
            }
        }
    }

    mutating func parseArray(depth: Int) throws(Error) -> JSONValue {
        if depth > maxDepth { throw Error(message: "nesting deeper than \(maxDepth) levels", offset: index) }
        index += 1
        var elements: [JSONValue] = []
        skipWhitespace()
        if index < bytes.count && bytes[index] == UInt8(ascii: "]") {
            index += 1
            return .array(elements)
        }
        while true {
            skipWhitespace()
            elements.append(try parseValue(depth: depth))
            skipWhitespace()
            guard index < bytes.count else { throw Error(message: "unterminated array", offset: index) }
            switch bytes[index] {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "]"):
                index += 1
                return .array(elements)
            default:
                throw Error(message: "unexpected \(describe(bytes[index])): expected ',' or ']'", offset: index)
            }
        }
    }

    mutating func parseNumber() throws(Error) -> JSONValue {
        let start = index
        var isInteger = true
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard index < bytes.count, isDigit(bytes[index]) else {
            throw Error(message: "invalid number", offset: start)
        }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
            if index < bytes.count, isDigit(bytes[index]) {
                throw Error(message: "invalid number: leading zero", offset: start)
            }
        } else {
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            isInteger = false
            index += 1
            guard index < bytes.count, isDigit(bytes[index]) else {
                throw Error(message: "invalid number: expected a digit after '.'", offset: index)
            }
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            isInteger = false
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
                index += 1
            }
            guard index < bytes.count, isDigit(bytes[index]) else {
                throw Error(message: "invalid number: expected a digit in the exponent", offset: index)
            }
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        }
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
        if isInteger, let value = Int64(text) { return .int(value) }
        guard let value = Double(text), value.isFinite else {
            throw Error(message: "number out of range", offset: start)
        }
        return .double(value)
    }

    @inline(__always)
    func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }

    mutating func parseString() throws(Error) -> String {
        let start = index
        index += 1
        let contentStart = index
        var plain = true
        // Fast path: no escapes and valid UTF-8.
        while index < bytes.count {
            let b = bytes[index]
            if b == UInt8(ascii: "\"") { break }
            if b == UInt8(ascii: "\\") { plain = false; break }
            if b < 0x20 { throw Error(message: "control character in a string (escape it)", offset: index) }
            index += 1
        }
        guard index < bytes.count else { throw Error(message: "unterminated string", offset: start) }
        if plain {
            let slice = UnsafeRawBufferPointer(rebasing: bytes[contentStart..<index])
            index += 1
            return try decodeUTF8(slice, offset: contentStart)
        }
        // Slow path with escapes.
        var out: [UInt8] = Array(UnsafeRawBufferPointer(rebasing: bytes[contentStart..<index]))
        while index < bytes.count {
            let b = bytes[index]
            if b == UInt8(ascii: "\"") {
                index += 1
                if let s = String(validating: out, as: UTF8.self) { return s }
                throw Error(message: "invalid UTF-8 in a string", offset: contentStart)
            }
            if b < 0x20 { throw Error(message: "control character in a string (escape it)", offset: index) }
            if b != UInt8(ascii: "\\") {
                out.append(b)
                index += 1
                continue
            }
            index += 1
            guard index < bytes.count else { throw Error(message: "unterminated string", offset: start) }
            let e = bytes[index]
            index += 1
            switch e {
            case UInt8(ascii: "\""): out.append(0x22)
            case UInt8(ascii: "\\"): out.append(0x5C)
            case UInt8(ascii: "/"): out.append(0x2F)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try hex4()
                if (0xD800...0xDBFF).contains(scalar) {
                    guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                        throw Error(message: "lone surrogate in \\u escape", offset: index)
                    }
                    index += 2
                    let low = try hex4()
                    guard (0xDC00...0xDFFF).contains(low) else {
                        throw Error(message: "invalid surrogate pair in \\u escape", offset: index)
                    }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                } else if (0xDC00...0xDFFF).contains(scalar) {
                    throw Error(message: "lone surrogate in \\u escape", offset: index)
                }
                appendUTF8(scalar, to: &out)
            default:
                throw Error(message: "invalid escape '\\\(Character(UnicodeScalar(e)))'", offset: index - 2)
            }
        }
        throw Error(message: "unterminated string", offset: start)
    }

    mutating func hex4() throws(Error) -> UInt32 {
        guard bytes.count - index >= 4 else { throw Error(message: "truncated \\u escape", offset: index) }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = bytes[index]
            let d: UInt32
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = UInt32(c - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = UInt32(c - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = UInt32(c - UInt8(ascii: "A") + 10)
            default: throw Error(message: "invalid hex digit in \\u escape", offset: index)
            }
            v = v << 4 | d
            index += 1
        }
        return v
    }

    func appendUTF8(_ scalar: UInt32, to out: inout [UInt8]) {
        switch scalar {
        case 0..<0x80: out.append(UInt8(scalar))
        case 0x80..<0x800:
            out.append(UInt8(0xC0 | (scalar >> 6)))
            out.append(UInt8(0x80 | (scalar & 0x3F)))
        case 0x800..<0x10000:
            out.append(UInt8(0xE0 | (scalar >> 12)))
            out.append(UInt8(0x80 | ((scalar >> 6) & 0x3F)))
            out.append(UInt8(0x80 | (scalar & 0x3F)))
        default:
            out.append(UInt8(0xF0 | (scalar >> 18)))
            out.append(UInt8(0x80 | ((scalar >> 12) & 0x3F)))
            out.append(UInt8(0x80 | ((scalar >> 6) & 0x3F)))
            out.append(UInt8(0x80 | (scalar & 0x3F)))
        }
    }

    func decodeUTF8(_ slice: UnsafeRawBufferPointer, offset: Int) throws(Error) -> String {
        var ascii = true
        for b in slice where b >= 0x80 {
            ascii = false
            break
        }
        if ascii { return String(decoding: slice, as: UTF8.self) }
        if let s = String(validating: slice, as: UTF8.self) { return s }
        // Find the first bad byte for the message.
        var i = 0
        var iterator = slice.makeIterator()
        var decoder = UTF8()
        var position = 0
        loop: while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let s):
                position += UTF8.width(s)
            case .emptyInput: break loop
            case .error:
                i = position
                break loop
            }
        }
        throw Error(message: "invalid UTF-8 in a string", offset: offset + i)
    }
}
