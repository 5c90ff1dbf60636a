import AlmanacCore

/// Marks matched words in stored text with `<mark>` and HTML-escapes the rest.
///
/// A word is marked when it matched as typed, through its stem (so "kettles" lights up
/// for "kettle"), through a typo correction, or as an extension of the last word typed.
struct Highlighter {
    /// Unprefixed unstemmed terms that matched (including corrections).
    var words: Set<String> = []
    /// Stems that matched.
    var stems: Set<String> = []
    /// Prefixes of the word being typed.
    var prefixes: [String] = []
    let stemmer: any Stemming

    init(matchingTerms: [String], prefixes: [String], fieldPrefixes: [String], stemmer: any Stemming) {
        self.stemmer = stemmer
        self.prefixes = prefixes
        for term in matchingTerms {
            if term.hasPrefix(Terms.stemmed) {
                var rest = Substring(term.dropFirst(Terms.stemmed.count))
                // Field-prefixed stems (`ZS` + stem): field prefixes are capitals, stems are not.
                if let f = rest.unicodeScalars.first, f.value >= 65 && f.value <= 90 { rest = rest.dropFirst() }
                stems.insert(String(rest))
            } else if let first = term.unicodeScalars.first, !(first.value >= 65 && first.value <= 90) {
                words.insert(term)
            } else {
                for p in fieldPrefixes where term.hasPrefix(p) {
                    let rest = term.dropFirst(p.count)
                    if let f = rest.unicodeScalars.first, !(f.value >= 65 && f.value <= 90) { words.insert(String(rest)) }
                }
            }
        }
    }

    var isEmpty: Bool { words.isEmpty && stems.isEmpty && prefixes.isEmpty }

    func matches(_ word: String) -> Bool {
        if words.contains(word) { return true }
        if prefixes.contains(where: { word.hasPrefix($0) }) { return true }
        return !stems.isEmpty && stems.contains(stemmer.stem(word))
    }

    /// The whole text, escaped, with matches marked; nil when nothing matched.
    func highlight(_ text: String) -> String? {
        let ranges = matchedRanges(text)
        if ranges.isEmpty { return nil }
        return render(Array(text.utf8), ranges, window: nil)
    }

    /// A crop of about `length` characters around the densest run of matches, escaped,
    /// with `…` where text was cut; nil when nothing matched.
    func crop(_ text: String, length: Int = 240) -> String? {
        let ranges = matchedRanges(text)
        if ranges.isEmpty { return nil }
        let bytes = Array(text.utf8)
        if bytes.count <= length { return render(bytes, ranges, window: nil) }
        // Slide a window of `length` bytes anchored at each match; keep the one covering most matches.
        var best = 0
        var bestCount = 0
        var j = 0
        for i in ranges.indices {
            while j < ranges.count, ranges[j].upperBound <= ranges[i].lowerBound + length { j += 1 }
            if j - i > bestCount {
                bestCount = j - i
                best = i
            }
        }
        let firstMatch = ranges[best].lowerBound
        var start = max(0, firstMatch - length / 4)
        var end = min(bytes.count, start + length)
        if end == bytes.count { start = max(0, end - length) }
        // Snap to word boundaries (spaces) and UTF-8 scalar starts.
        if start > 0, let space = bytes[start..<firstMatch].firstIndex(of: 0x20) { start = space + 1 }
        while start > 0, start < bytes.count, bytes[start] & 0xC0 == 0x80 { start += 1 }
        if end < bytes.count, let space = bytes[(ranges[best].upperBound)..<end].lastIndex(of: 0x20) { end = space }
        while end < bytes.count, end > 0, bytes[end] & 0xC0 == 0x80 { end -= 1 }
        return render(bytes, ranges, window: start..<end)
    }

    private func matchedRanges(_ text: String) -> [Range<Int>] {
        var ranges: [Range<Int>] = []
        Tokenizer.forEachToken(in: text) { token in
            if matches(token.text) { ranges.append(token.range) }
        }
        return ranges
    }

    private func render(_ bytes: [UInt8], _ ranges: [Range<Int>], window: Range<Int>?) -> String {
        let window = window ?? 0..<bytes.count
        var out: [UInt8] = []
        out.reserveCapacity(window.count + ranges.count * 13 + 8)
        if window.lowerBound > 0 { out.append(contentsOf: "…".utf8) }
        var cursor = window.lowerBound
        for range in ranges where range.lowerBound >= window.lowerBound && range.upperBound <= window.upperBound {
            Self.escape(bytes[cursor..<range.lowerBound], into: &out)
            out.append(contentsOf: "<mark>".utf8)
            Self.escape(bytes[range], into: &out)
            out.append(contentsOf: "</mark>".utf8)
            cursor = range.upperBound
        }
        Self.escape(bytes[cursor..<window.upperBound], into: &out)
        if window.upperBound < bytes.count { out.append(contentsOf: "…".utf8) }
        return String(decoding: out, as: UTF8.self)
    }

    /// The whole text escaped, nothing marked (a field shown without a match).
    static func escaped(_ text: String) -> String {
        let bytes = Array(text.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        escape(bytes[...], into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// HTML text escaping of `&`, `<`, `>`, `"` and `'`, byte by byte over the UTF-8
    /// encoding, so a combining mark after one of them cannot hide it (the one escaper:
    /// marked and unmarked text alike).
    static func escape(_ slice: ArraySlice<UInt8>, into out: inout [UInt8]) {
        for b in slice {
            switch b {
            case UInt8(ascii: "&"): out.append(contentsOf: "&amp;".utf8)
            case UInt8(ascii: "<"): out.append(contentsOf: "&lt;".utf8)
            case UInt8(ascii: ">"): out.append(contentsOf: "&gt;".utf8)
            case UInt8(ascii: "\""): out.append(contentsOf: "&quot;".utf8)
            case UInt8(ascii: "'"): out.append(contentsOf: "&#39;".utf8)
            default: out.append(b)
            }
        }
    }
}
