import AlmanacCore
import AlmanacIndex
import Foundation

/// The raw-Xapian baseline of BENCHMARKS.md: the same products and queries through the
/// CXapian shim alone (its Swift wrapper types), no SQLite, no HTTP, no cache, no Almanac
/// projection or planner.
///
/// Documents are what a plain Xapian application would index (what `TermGenerator` with
/// `STEM_SOME` produces, plus the fields needed for the same facets and filter):
/// title, brand and description words with positions, their `Z` stems, boolean terms for
/// id, brand, category path prefixes and tags, value slots for brand, category, tags and
/// price, and the JSON line as document data. New documents go in with `add_document`,
/// one commit at the end (durable: fsync).
public enum RawXapian {
    public static let brandSlot: UInt32 = 5
    public static let categorySlot: UInt32 = 6
    public static let tagsSlot: UInt32 = 7
    public static let priceSlot: UInt32 = 1

    /// Builds the index at `path` from JSON lines; answers the seconds spent (parse, term
    /// generation, add, commit).
    @discardableResult
    ///
    /// The variants (`commitEvery`, `replace`) exist to attribute Almanac's overhead: commit
    /// every n documents as the catch-up indexer does, `replace_document` by unique term
    /// instead of `add_document`, or a term-frequency check first (`add_document` when 0).
    public static func build(
        lines: [[UInt8]], path: String, positions: Bool = true, commitEvery: Int? = nil, replace: Bool = false,
        checkThenAdd: Bool = false
    ) throws -> Double {
        let started = ContinuousClock.now
        let db = try XapianWritableDatabase(path: path, overwrite: true, durable: true)
        let stemmer = try XapianStemmer(language: "english")
        var batch = XapianTermBatch(reservingCapacity: 16 << 10)
        var added = 0
        for line in lines {
            guard case .object(let o) = try JSONParser.parse(line), let id = o["id"]?.stringValue else { continue }
            batch.removeAll()
            var position: UInt32 = 1
            func index(_ text: String) {
                let end = Tokenizer.forEachToken(in: text, startPosition: Int(position)) { token in
                    if positions {
                        batch.addPosting(token.text, position: UInt32(token.position))
                    } else {
                        batch.addTerm(token.text)
                    }
                    let stem = stemmer.stem(token.text)
                    if !stem.isEmpty { batch.addTerm(stem, prefix: "Z") }
                }
                position = UInt32(end) + 100
            }
            let doc = XapianDocument()
            batch.addBooleanTerm(id, prefix: "Q")
            if let title = o["title"]?.stringValue { index(title) }
            if let brand = o["brand"]?.stringValue {
                index(brand)
                batch.addBooleanTerm(brand, prefix: "XB:")
                doc.setValue(brandSlot, brand)
            }
            if let description = o["description"]?.stringValue { index(description) }
            if case .array(let segments)? = o["category"] {
                let parts = segments.compactMap(\.stringValue)
                for n in 1...max(1, parts.count) where n <= parts.count {
                    batch.addBooleanTerm(parts.prefix(n).joined(separator: "/"), prefix: "XC:")
                }
                doc.setValue(categorySlot, parts.joined(separator: "/"))
            }
            if case .array(let tags)? = o["tags"] {
                let list = tags.compactMap(\.stringValue)
                for tag in list { batch.addBooleanTerm(tag, prefix: "XG:") }
                if !list.isEmpty { doc.setValue(tagsSlot, MultiValue.encode(list)) }
            }
            if let price = o["price"]?.numberValue { doc.setValue(priceSlot, Sortable.serialise(price)) }
            try doc.add(batch)
            doc.setData(line)
            if checkThenAdd, try db.termFrequency("Q" + id) == 0 {
                try db.add(doc)
            } else if replace || checkThenAdd {
                try db.replace(uniqueTerm: "Q" + id, with: doc)
            } else {
                try db.add(doc)
            }
            added += 1
            if let commitEvery, added % commitEvery == 0 { try db.commit() }
        }
        try db.commit()
        try db.close()
        return (ContinuousClock.now - started).seconds
    }

    /// Plans queries for the raw baseline: every word required (`AND`), each as its stem
    /// (`Z` term), as Xapian's QueryParser does with `STEM_SOME` and a default AND.
    public final class Searcher {
        public let db: XapianDatabase
        let stemmer: XapianStemmer

        public init(path: String) throws {
            db = try XapianDatabase(path: path)
            stemmer = try XapianStemmer(language: "english")
        }

        public func textQuery(_ q: String) throws -> XapianQuery {
            let words = Tokenizer.words(q)
            let terms = try words.map { w -> XapianQuery in
                let stem = stemmer.stem(w)
                return try .term(stem.isEmpty ? w : "Z" + stem)
            }
            return terms.count == 1 ? terms[0] : try .and(terms)
        }

        public func filterQuery(category: String, priceFrom: Int64, priceTo: Int64) throws -> XapianQuery {
            try .and([
                .term("XC:" + category),
                // Prices are integers: [from, to) is [from, to - 1] inclusive.
                .valueRange(
                    slot: priceSlot, from: Sortable.serialise(Double(priceFrom)),
                    to: Sortable.serialise(Double(priceTo - 1))),
            ])
        }

        /// Top `limit` by BM25 with document data; with facets, brand/category/tags counted
        /// exactly over every match.
        public func search(
            _ q: String, facets: Bool = false, filter: XapianQuery? = nil, limit: Int = 20, matchingTerms: Bool = false
        ) throws -> XapianSearchResult {
            var query = try textQuery(q)
            if let filter { query = try .filter(query, filter) }
            var options = XapianSearchOptions()
            options.maxItems = limit
            options.includeData = true
            options.matchingTerms = matchingTerms
            if facets {
                options.spies = [
                    .valueCount(slot: brandSlot), .valueCount(slot: categorySlot), .multiValueCount(slot: tagsSlot),
                ]
                options.checkAtLeast = try db.documentCount
            }
            return try db.search(query, options)
        }
    }
}
