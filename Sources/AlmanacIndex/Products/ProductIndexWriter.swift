public import AlmanacCore
import Foundation
import Logging

/// A product change to apply: the current stored JSON, or nil when the product is gone.
public struct ProductIndexChange: Sendable {
    public var tenant: String
    public var id: String
    public var json: String?
    public init(tenant: String, id: String, json: String?) {
        self.tenant = tenant
        self.id = id
        self.json = json
    }
}

/// The single writer of the product index. Not thread-safe: its `ProjectionService` owns it
/// and calls it from one thread-pool task at a time.
public final class ProductIndexWriter {
    public static let lastSeqKey = "last_seq"
    /// Metadata key of the document format (`ProductProjection`'s terms and weights).
    public static let formatKey = "format"
    /// The format this build writes and reads. 1 (no `format` entry): before issue 10's
    /// BM25F frequencies and `N` name terms; 2: with them.
    public static let formatVersion = 2

    private(set) var database: XapianWritableDatabase
    let path: String
    let durable: Bool
    /// A batch failed: the handle may hold half of it, or Xapian may have closed it (a
    /// commit that fails on a full disk and cannot reopen the old revision closes the
    /// database). The next batch starts from a fresh handle at the last commit.
    private var needsReopen = false
    let projection: ProductProjection
    let vocabulary: TypoVocabulary
    let slots: SlotRegistry
    private let stemmers = StemmerCache()
    private var batch = XapianTermBatch(reservingCapacity: 16 << 10)
    public private(set) var lastSeq: Int64
    private var persistedSeq: Int64
    private let lock: IndexLock

    /// The lock file beside the index at `path`.
    public static func lockPath(_ path: String) -> String { path + ".lock" }

    /// Opens (creating) the index at `path`; `lastSeq` resumes from its metadata. Throws
    /// `AlmanacError(.conflict)` when another writer holds the index.
    public init(path: String, slots: SlotRegistry, vocabulary: TypoVocabulary, durable: Bool = true, overwrite: Bool = false) throws {
        try FileManager.default.createDirectory(
            at: URL(fileURLWithPath: path).deletingLastPathComponent(), withIntermediateDirectories: true)
        lock = try IndexLock(path: Self.lockPath(path), what: "product index at \(path)")
        database = try XapianWritableDatabase(path: path, overwrite: overwrite, durable: durable)
        self.path = path
        self.durable = durable
        self.slots = slots
        self.vocabulary = vocabulary
        projection = ProductProjection(slots: slots)
        let raw = try database.metadata(Self.lastSeqKey)
        lastSeq = Int64(String(decoding: raw, as: UTF8.self)) ?? 0
        persistedSeq = lastSeq
        try checkFormat(path: path)
    }

    /// A new (empty) index takes this build's format, committed with the first commit; an
    /// index of another format is refused with what to do about it: it would answer, but
    /// rank by rules its documents do not carry.
    private func checkFormat(path: String) throws {
        let stored = String(decoding: try database.metadata(Self.formatKey), as: UTF8.self)
        if stored == String(Self.formatVersion) { return }
        if try database.documentCount == 0 {
            try database.setMetadata(Self.formatKey, Array(String(Self.formatVersion).utf8))
            return
        }
        lock.release()
        throw AlmanacError(
            .unavailable,
            "the product index at \(path) has format \(stored.isEmpty ? "1" : stored) and this build reads format "
                + "\(Self.formatVersion): stop the server and run `almanac reindex products` (it rebuilds the index "
                + "from the store, which holds every product)")
    }

    public var documentCount: Int { (try? database.documentCount) ?? 0 }

    /// Applies changes and commits them together with `watermark` as the new `last_seq`.
    /// Answers the tenants whose documents changed.
    @discardableResult
    public func apply(
        _ changes: [ProductIndexChange], watermark: Int64, settings: (String) -> SearchSettings
    ) throws -> Set<String> {
        let staged = try stage(changes, settings: settings)
        try commitStaged(watermark: watermark)
        staged.addTo(vocabulary)
        return staged.touched
    }

    /// What `stage` changed: the tenants, and the words and names for the typo vocabulary.
    public struct Staged: Sendable {
        public var touched = Set<String>()
        public var words: [String: Int] = [:]
        public var names: [String] = []
        public init() {}

        public mutating func merge(_ other: Staged) {
            touched.formUnion(other.touched)
            words.merge(other.words, uniquingKeysWith: +)
            names += other.names
        }

        /// Feeds the committed documents' words and names to typo tolerance.
        public func addTo(_ vocabulary: TypoVocabulary) {
            vocabulary.addNames(names)
            if vocabulary.add(counts: words.lazy.map { ($0.key, $0.value) }) { vocabulary.rebuildInBackground() }
        }
    }

    /// Applies changes without committing them (`commitStaged` does, or a later `apply`);
    /// the vocabulary is left to the caller, once the documents are committed. A sharded
    /// index stages every shard, persists the slot registry once, then commits each.
    public func stage(_ changes: [ProductIndexChange], settings: (String) -> SearchSettings) throws -> Staged {
        if needsReopen { try reopen() }
        do {
            return try stageChanges(changes, settings: settings)
        } catch {
            needsReopen = true
            throw error
        }
    }

    /// Commits what `stage` applied with `watermark` as the new `last_seq`.
    public func commitStaged(watermark: Int64) throws {
        if needsReopen { try reopen() }
        do {
            try commit(watermark: watermark)
        } catch {
            needsReopen = true
            throw error
        }
    }

    /// Drops the handle and opens the database again at its last commit (and `last_seq`).
    /// Throws (and stays to be reopened) while the database cannot be opened for writing,
    /// e.g. while the disk is still full.
    private func reopen() throws {
        // Closing commits what the handle holds: a prefix of the failed batch under the
        // old `last_seq`, or all of it under the new one; either is a consistent index
        // (applying a product again replaces it).
        try? database.close()
        database = try XapianWritableDatabase(path: path, durable: durable)
        let raw = try database.metadata(Self.lastSeqKey)
        let committed = Int64(String(decoding: raw, as: UTF8.self)) ?? 0
        persistedSeq = committed
        lastSeq = max(lastSeq, committed)
        needsReopen = false
    }

    private func stageChanges(_ changes: [ProductIndexChange], settings: (String) -> SearchSettings) throws -> Staged {
        var staged = Staged()
        var seen = Set<String>()
        // Later rows carry the same (current) body; apply each product once.
        for change in changes.reversed() {
            let unique = Terms.unique(tenant: change.tenant, id: change.id)
            guard seen.insert(unique).inserted else { continue }
            staged.touched.insert(change.tenant)
            guard let json = change.json else {
                try database.delete(uniqueTerm: unique)
                continue
            }
            let product = try Product(storedJSON: try JSONParser.parse(json))
            let language = settings(change.tenant).language
            let document = projection.document(
                tenant: change.tenant, product: product, json: Array(json.utf8),
                stemmer: try stemmers.stemmer(for: language))
            for word in document.words { staged.words[word, default: 0] += 1 }
            if let name = document.nameTerm { staged.names.append(name) }
            let native = try document.xapianDocument(batch: &batch)
            // `replace_document` by term adds the document when no document holds the term,
            // but finds that out by opening a posting-list cursor (buffers allocated per
            // call); the term frequency (pending changes included) answers the same from the
            // table's shared cursor. Same outcome, measured about 8% cheaper for new ids.
            if try database.termFrequency(unique) == 0 {
                try database.add(native)
            } else {
                try database.replace(uniqueTerm: unique, with: native)
            }
        }
        return staged
    }

    /// Adds documents known to be new (a rebuild into an empty index): cheaper than replace.
    public func addNew(_ changes: [ProductIndexChange], settings: (String) -> SearchSettings) throws {
        try stageNew(changes, settings: settings).addTo(vocabulary)
    }

    /// `addNew` without feeding the vocabulary (the caller merges the shards' and does).
    public func stageNew(_ changes: [ProductIndexChange], settings: (String) -> SearchSettings) throws -> Staged {
        var staged = Staged()
        for change in changes {
            guard let json = change.json else { continue }
            let product = try Product(storedJSON: try JSONParser.parse(json))
            let document = projection.document(
                tenant: change.tenant, product: product, json: Array(json.utf8),
                stemmer: try stemmers.stemmer(for: settings(change.tenant).language))
            for word in document.words { staged.words[word, default: 0] += 1 }
            if let name = document.nameTerm { staged.names.append(name) }
            try database.add(try document.xapianDocument(batch: &batch))
        }
        return staged
    }

    /// Advances `lastSeq` without a commit when a batch held no product changes.
    public func skip(to watermark: Int64) { lastSeq = max(lastSeq, watermark) }

    /// Persists a watermark `skip` advanced (no documents changed since the last commit).
    public func commitSkipped() throws {
        if lastSeq != persistedSeq { try commit(watermark: lastSeq) }
    }

    public func commit(watermark: Int64) throws {
        try slots.persistIfNeeded()
        if watermark != persistedSeq {
            try database.setMetadata(Self.lastSeqKey, Array(String(watermark).utf8))
        }
        try database.commit()
        // Only once committed: a failed commit sets the metadata again on the retry.
        persistedSeq = watermark
        lastSeq = max(lastSeq, watermark)
    }

    /// Every unprefixed word with its document frequency (to seed the typo vocabulary).
    public func vocabularyEntries() throws -> [(String, Int)] {
        var out: [(String, Int)] = []
        try database.forEachTerm(prefix: "") { term, freq in
            guard let first = term.utf8.first, !(first >= UInt8(ascii: "A") && first <= UInt8(ascii: "Z")),
                TypoVocabulary.isEligible(term)
            else { return }
            out.append((term, freq))
        }
        return out
    }

    /// Every `N` name term (to seed the vocabulary's names).
    public func nameTerms() throws -> [String] {
        var out: [String] = []
        try database.forEachTerm(prefix: Terms.name) { term, _ in out.append(term) }
        return out
    }

    public func close() throws {
        defer { lock.release() }
        try database.close()
    }
}
