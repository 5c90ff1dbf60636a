import CXapian

/// A Snowball stemmer (Xapian::Stem).
///
/// Not thread-safe (the stemmer keeps state between calls): one per thread or task.
public final class XapianStemmer {
    private let handle: OpaquePointer
    private var scratch: UnsafeMutableRawBufferPointer
    public let language: String

    /// A stemmer for `language` (a name or code such as "english", "en", "french", or
    /// "none" to leave words unchanged). Unknown languages throw `.invalidArgument`.
    public init(language: String) throws {
        handle = try xapianHandle("stemmer \(language)") { err in
            withBytes(language) { cxapian_stem_new($0, $1, err) }
        }
        self.language = language
        scratch = .allocate(byteCount: 64, alignment: 1)
    }

    deinit {
        cxapian_stem_free(handle)
        scratch.deallocate()
    }

    /// The languages Xapian can stem.
    public static func availableLanguages() throws -> [String] {
        var length = 0
        let p = try xapianCall("stemmer languages") { cxapian_stem_languages(&length, $0) }
        return takeString(p, length).split(separator: " ").map(String.init)
    }

    /// The stem of `word` (which should already be lower-cased).
    public func stem(_ word: String) -> String {
        withBytes(word) { p, n in
            stem(UnsafeRawBufferPointer(start: p, count: n)) { String(decoding: $0, as: UTF8.self) }
        }
    }

    /// Calls `body` with the stem of the UTF-8 `word`; the buffer is valid only inside
    /// `body` (it is the stemmer's scratch space).
    public func stem<R>(
        _ word: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) throws -> R
    ) rethrows -> R {
        let input = word.baseAddress?.assumingMemoryBound(to: CChar.self)
        var length = stemInto(input, word.count)
        if length > scratch.count {
            scratch.deallocate()
            scratch = .allocate(byteCount: Swift.max(length, scratch.count * 2), alignment: 1)
            length = stemInto(input, word.count)
        }
        return try body(UnsafeRawBufferPointer(start: scratch.baseAddress, count: length))
    }

    private func stemInto(_ word: UnsafePointer<CChar>?, _ count: Int) -> Int {
        let out = scratch.baseAddress!.assumingMemoryBound(to: CChar.self)
        // Stemming fails only when memory runs out.
        return xapianMust("cxapian_stem_word") {
            cxapian_stem_word(handle, word, count, out, scratch.count, $0)
        }
    }
}

@available(*, unavailable, message: "Xapian stemmers are not thread-safe")
extension XapianStemmer: Sendable {}
