extension IndexDocument {
    /// The native document, built with one packed call for all terms.
    func xapianDocument(batch: inout XapianTermBatch) throws -> XapianDocument {
        let doc = XapianDocument()
        batch.removeAll()
        for posting in postings {
            batch.addPosting(posting.term, position: posting.position, wdfIncrement: posting.wdf)
        }
        for (term, wdf) in terms { batch.addTerm(term, wdfIncrement: wdf) }
        for term in booleanTerms { batch.addBooleanTerm(term) }
        try doc.add(batch)
        for (slot, value) in values { doc.setValue(slot, value) }
        doc.setData(data)
        return doc
    }
}

/// Stemmers by language with a memo of recent stems (the same words recur constantly).
final class StemmerCache {
    private var stemmers: [String: XapianStemmer] = [:]
    private var memo: [String: [String: String]] = [:]
    private let memoLimit = 200_000

    func stemmer(for language: String) throws -> MemoStemmer {
        if stemmers[language] == nil { stemmers[language] = try XapianStemmer(language: language) }
        return MemoStemmer(cache: self, language: language)
    }

    fileprivate func stem(_ word: String, language: String) -> String {
        if let s = memo[language]?[word] { return s }
        let s = stemmers[language]!.stem(word)
        if memo[language, default: [:]].count >= memoLimit { memo[language] = [:] }
        memo[language, default: [:]][word] = s
        return s
    }
}

struct MemoStemmer: Stemming {
    let cache: StemmerCache
    let language: String
    func stem(_ word: String) -> String { cache.stem(word, language: language) }
}
