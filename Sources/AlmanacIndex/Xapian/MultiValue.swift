/// Several values in one Xapian value slot: a sequence of entries, each an unsigned LEB128
/// varint byte length followed by the bytes. This is the format the multi-value facet spy
/// counts and the format CXapian uses for per-hit values and matching terms.
public enum MultiValue {
    public static func encode(_ values: [[UInt8]]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(values.reduce(0) { $0 + $1.count + 1 })
        for value in values { append(value, to: &out) }
        return out
    }

    public static func encode(_ values: [String]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(values.reduce(0) { $0 + $1.utf8.count + 1 })
        for value in values { append(value.utf8, to: &out) }
        return out
    }

    /// Appends one entry.
    @inline(__always)
    public static func append(_ value: some Collection<UInt8>, to out: inout [UInt8]) {
        VarInt.append(UInt64(value.count), to: &out)
        out.append(contentsOf: value)
    }

    /// The entries, or nil when `bytes` is malformed.
    public static func decode(_ bytes: [UInt8]) -> [[UInt8]]? {
        bytes.withUnsafeBytes { decode($0) }
    }

    public static func decode(_ bytes: UnsafeRawBufferPointer) -> [[UInt8]]? {
        var values: [[UInt8]] = []
        let ok = forEach(in: bytes) { values.append([UInt8]($0)) }
        return ok ? values : nil
    }

    /// Calls `body` with each entry (valid only inside the call). Returns false when the
    /// buffer is malformed; the entries before the bad one have been visited.
    @discardableResult
    public static func forEach(
        in bytes: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) throws -> Void
    ) rethrows -> Bool {
        var offset = 0
        while offset < bytes.count {
            guard let length = VarInt.read(bytes, at: &offset),
                length <= UInt64(bytes.count - offset)
            else { return false }
            let end = offset + Int(length)
            try body(UnsafeRawBufferPointer(rebasing: bytes[offset..<end]))
            offset = end
        }
        return true
    }
}

/// Unsigned LEB128.
enum VarInt {
    @inline(__always)
    static func append(_ value: UInt64, to out: inout [UInt8]) {
        var v = value
        while v >= 0x80 {
            out.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        out.append(UInt8(v))
    }

    /// Reads a varint at `offset`, advancing it; nil when truncated or over 64 bits.
    @inline(__always)
    static func read(_ bytes: UnsafeRawBufferPointer, at offset: inout Int) -> UInt64? {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while offset < bytes.count {
            let byte = bytes[offset]
            offset += 1
            if shift == 63 && byte > 1 { return nil }
            value |= UInt64(byte & 0x7f) << shift
            if byte & 0x80 == 0 { return value }
            shift += 7
            if shift > 63 { return nil }
        }
        return nil
    }
}
