import AlmanacIndex
import Foundation
import Synchronization
import Testing

/// Runs `body` with a fresh temporary directory that is removed afterwards.
func withTemporaryDirectory<R>(_ body: (String) throws -> R) throws -> R {
    let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("almanac-xapian-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: url) }
    return try body(url.path)
}

/// Value slots used by the test corpus.
enum Slot {
    static let category: UInt32 = 0
    static let price: UInt32 = 1
    static let tags: UInt32 = 2
    static let id: UInt32 = 3
}

/// A small product for test indexes.
struct Product {
    var id: String
    var text: String
    var category: String? = nil
    var price: Double? = nil
    var tags: [String] = []
}

/// Indexes a product the way an indexer would: stemmed text with positions, a unique "Q"
/// term, boolean category/tag terms and values for sorting and facets.
func makeDocument(_ p: Product, stemmer: XapianStemmer) throws -> XapianDocument {
    let doc = XapianDocument()
    var batch = XapianTermBatch(reservingCapacity: 128)
    var position: UInt32 = 0
    for word in p.text.lowercased().split(whereSeparator: { !$0.isLetter && !$0.isNumber }) {
        position += 1
        batch.addPosting(word, position: position)
        batch.addTerm(stemmer.stem(String(word)), prefix: "Z")
    }
    batch.addBooleanTerm(p.id, prefix: "Q")
    if let category = p.category {
        batch.addBooleanTerm(category, prefix: "XC")
        doc.setValue(Slot.category, category)
    }
    for tag in p.tags { batch.addBooleanTerm(tag, prefix: "XT") }
    try doc.add(batch)
    if let price = p.price { doc.setValue(Slot.price, Sortable.serialise(price)) }
    if !p.tags.isEmpty { doc.setValue(Slot.tags, MultiValue.encode(p.tags)) }
    doc.setValue(Slot.id, p.id)
    doc.setData(Array(p.id.utf8))
    return doc
}

/// Writes `products` (replacing by id) and commits.
func index(_ products: [Product], into db: XapianWritableDatabase) throws {
    let stemmer = try XapianStemmer(language: "english")
    for p in products {
        try db.replace(uniqueTerm: "Q" + p.id, with: try makeDocument(p, stemmer: stemmer))
    }
    try db.commit()
}

extension XapianSearchResult.Hit {
    var id: String { String(decoding: data, as: UTF8.self) }
}

/// Options asking for exact counts and document data.
func exactOptions(
    maxItems: Int = 100, weighting: XapianSearchOptions.Weighting = .bm25,
    sort: XapianSearchOptions.Sort = .relevance, spies: [XapianSpy] = []
) -> XapianSearchOptions {
    XapianSearchOptions(
        maxItems: maxItems, checkAtLeast: Int(UInt32.max), weighting: weighting, sort: sort,
        includeData: true, spies: spies)
}

/// Expects `body` to throw a `XapianError` with `code`.
func expectXapianError(
    _ code: XapianError.Code, sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () throws -> Void
) {
    do {
        try body()
        Issue.record("expected XapianError \(code), nothing thrown", sourceLocation: sourceLocation)
    } catch let error as XapianError {
        #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
    } catch {
        Issue.record("expected XapianError \(code), got \(error)", sourceLocation: sourceLocation)
    }
}

/// Runs `write` on a thread of its own, which owns `writer` from then on, and `read` on the
/// calling thread over and over until `write` returns. Answers `write`'s error, if any.
func whileWriting(
    _ writer: XapianWritableDatabase, _ write: @escaping @Sendable (XapianWritableDatabase) throws -> Void,
    read: () throws -> Void
) throws -> String? {
    let done = Mutex(false)
    let failure = Mutex<String?>(nil)
    let finished = DispatchSemaphore(value: 0)
    // XapianWritableDatabase is not Sendable: after this point only the writer thread uses it.
    nonisolated(unsafe) let owned = writer
    Thread.detachNewThread {
        defer { finished.signal() }
        do { try write(owned) } catch { failure.withLock { $0 = "\(error)" } }
        done.withLock { $0 = true }
    }
    defer { finished.wait() }
    while !done.withLock({ $0 }) { try read() }
    return failure.withLock { $0 }
}
