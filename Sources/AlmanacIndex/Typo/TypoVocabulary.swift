import Foundation
import Synchronization

/// The live vocabulary that typo tolerance expands query words against, with each word's
/// document frequency: candidates are chosen by (distance, frequency), so a common word
/// one edit away comes before a rare one (`libnet` before `libeat` for "libent").
///
/// A large immutable `TypoTrie` (rebuilt now and then) plus what the indexer saw since: new
/// words, searched by brute force, and frequency increments of words already in the trie.
/// Readers take a snapshot under a lock and search without it, so the indexer never waits
/// for queries and vice versa.
///
/// Frequencies are seeded from the index (`ProductIndexWriter.vocabularyEntries`: the
/// exact document frequencies) and grow by one for every indexed document that holds the
/// word. Deleted or replaced documents do not take theirs back (as Xapian's own spelling
/// table), so between restarts a frequently rewritten word counts a little high.
public final class TypoVocabulary: Sendable {
    struct State: Sendable {
        var trie: TypoTrie
        var known: Set<String>
        /// Words not in the trie, with their frequencies.
        var recent: [String: Int]
        /// Frequency increments of words in the trie.
        var increments: [String: Int] = [:]
        var rebuilding = false
        /// The products' `N` name terms (never removed: a stale one only costs a term).
        var names: Set<String> = []
    }

    private let state: Mutex<State>
    /// When the recent set grows past this, the owner should call `rebuildInBackground()`
    /// (queries check the recent words one by one, so the set must stay small).
    public let rebuildThreshold: Int

    public init(entries: [(String, Int)] = [], rebuildThreshold: Int = 5_000) {
        let trie = TypoTrie(entries: entries.filter { Self.isEligible($0.0) })
        state = Mutex(State(trie: trie, known: Set(trie.words), recent: [:]))
        self.rebuildThreshold = rebuildThreshold
    }

    /// Whether a word can take part in typo tolerance at all (as query word or candidate).
    public static func isEligible(_ word: String) -> Bool {
        word.unicodeScalars.count >= 3 && !word.unicodeScalars.contains { $0.properties.numericType != nil }
    }

    public var count: Int { state.withLock { $0.known.count } }

    /// Adds words seen by the indexer, each counting one document. Answers whether a
    /// rebuild is due.
    @discardableResult
    public func add<S: Sequence>(_ words: S) -> Bool where S.Element == String {
        add(counts: words.lazy.map { ($0, 1) })
    }

    /// Adds (word, documents) pairs: the seed from the index, or a batch's words with the
    /// number of its documents holding each. Answers whether a rebuild is due.
    @discardableResult
    public func add<S: Sequence>(counts: S) -> Bool where S.Element == (String, Int) {
        state.withLock { s in
            for (word, n) in counts where Self.isEligible(word) {
                if s.known.insert(word).inserted {
                    s.recent[word] = n
                } else if s.recent[word] != nil {
                    s.recent[word]! += n
                } else {
                    s.increments[word, default: 0] += n
                }
            }
            return s.recent.count > rebuildThreshold
        }
    }

    /// Adds products' `N` name terms, so the exactness rule tries a corrected query as a
    /// name only when some product has that name.
    public func addNames<S: Sequence>(_ terms: S) where S.Element == String {
        state.withLock { s in for term in terms { s.names.insert(term) } }
    }

    /// The given name terms that some product has (or had).
    public func knownNames(_ terms: [String]) -> Set<String> {
        state.withLock { s in Set(terms.filter { s.names.contains($0) }) }
    }

    /// A word's document frequency as the vocabulary knows it (0 when unknown).
    public func frequency(of word: String) -> Int {
        state.withLock { s in
            if let n = s.recent[word] { return n }
            return s.trie.weight(of: word).map { $0 + (s.increments[word] ?? 0) } ?? 0
        }
    }

    /// Starts `rebuild()` on a thread of its own unless one is running, so the indexer does
    /// not wait for it (a rebuild sorts the whole vocabulary: tens of milliseconds at 80k
    /// words). Searches use the old trie plus the recent words until it is done.
    public func rebuildInBackground() {
        let start = state.withLock { s in
            if s.rebuilding { return false }
            s.rebuilding = true
            return true
        }
        guard start else { return }
        Thread.detachNewThread {
            self.rebuild()
            self.state.withLock { $0.rebuilding = false }
        }
    }

    /// Folds the recent words and the frequency increments into a new trie (call off the
    /// hot path).
    public func rebuild() {
        let snapshot = state.withLock { s in (s.trie, s.recent, s.increments) }
        var entries = zip(snapshot.0.words, snapshot.0.weights).map { ($0, Int($1) + (snapshot.2[$0] ?? 0)) }
        entries.append(contentsOf: snapshot.1.map { ($0.key, $0.value) })
        let trie = TypoTrie(entries: entries)
        state.withLock { s in
            s.trie = trie
            // What arrived during the rebuild stays pending for the next one.
            for (word, n) in snapshot.1 {
                let now = s.recent.removeValue(forKey: word) ?? n
                if now > n { s.increments[word, default: 0] += now - n }
            }
            for (word, n) in snapshot.2 {
                let now = s.increments[word] ?? n
                s.increments[word] = now > n ? now - n : nil
            }
        }
    }

    /// Words within `maxDistance` of `word`, best first (distance, then frequency, then
    /// word), at most `limit`.
    public func candidates(for word: String, maxDistance: Int, limit: Int = 8) -> [TypoTrie.Match] {
        let (trie, recent, increments) = state.withLock { ($0.trie, $0.recent, $0.increments) }
        var matches = trie.search(word, maxDistance: maxDistance)
        if !increments.isEmpty {
            for i in matches.indices { matches[i].weight += increments[matches[i].word] ?? 0 }
        }
        // The recent words are few (a rebuild folds them in past `rebuildThreshold`) and
        // checked one by one; the length test skips most without computing a distance.
        let length = word.unicodeScalars.count
        for (candidate, weight) in recent where candidate != word {
            guard abs(candidate.unicodeScalars.count - length) <= maxDistance else { continue }
            if let d = TypoTrie.distance(word, candidate, limit: maxDistance), d > 0 {
                matches.append(.init(word: candidate, distance: d, weight: weight))
            }
        }
        matches.sort {
            ($0.distance, -$0.weight, $0.word) < ($1.distance, -$1.weight, $1.word)
        }
        return Array(matches.prefix(limit))
    }
}
