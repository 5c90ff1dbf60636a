import Foundation
import Synchronization

/// The live vocabulary that typo tolerance expands query words against.
///
/// A large immutable `TypoTrie` (rebuilt now and then) plus a small set of words the
/// indexer saw since, searched by brute force. Readers take a snapshot under a lock and
/// search without it, so the indexer never waits for queries and vice versa.
public final class TypoVocabulary: Sendable {
    struct State: Sendable {
        var trie: TypoTrie
        var known: Set<String>
        var recent: [String: Int]
        var rebuilding = false
    }

    private let state: Mutex<State>
    /// When the recent set grows past this, the owner should call `rebuildInBackground()`
    /// (queries check the recent words one by one, so the set must stay small).
    public let rebuildThreshold: Int

    public init(entries: [(String, Int)] = [], rebuildThreshold: Int = 5_000) {
        let trie = TypoTrie(entries: entries)
        state = Mutex(State(trie: trie, known: Set(trie.words), recent: [:]))
        self.rebuildThreshold = rebuildThreshold
    }

    /// Whether a word can take part in typo tolerance at all (as query word or candidate).
    public static func isEligible(_ word: String) -> Bool {
        word.unicodeScalars.count >= 3 && !word.unicodeScalars.contains { $0.properties.numericType != nil }
    }

    public var count: Int { state.withLock { $0.known.count } }

    /// Adds words seen by the indexer. Answers whether a rebuild is due.
    @discardableResult
    public func add<S: Sequence>(_ words: S) -> Bool where S.Element == String {
        state.withLock { s in
            for word in words where Self.isEligible(word) && !s.known.contains(word) {
                s.known.insert(word)
                s.recent[word, default: 0] += 1
            }
            return s.recent.count > rebuildThreshold
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

    /// Folds the recent words into a new trie (call off the hot path).
    public func rebuild() {
        let snapshot = state.withLock { s in (s.trie, s.recent) }
        var entries = zip(snapshot.0.words, snapshot.0.weights.map(Int.init)).map { ($0, $1) }
        entries.append(contentsOf: snapshot.1.map { ($0.key, $0.value) })
        let trie = TypoTrie(entries: entries)
        state.withLock { s in
            s.trie = trie
            for word in snapshot.1.keys { s.recent[word] = nil }
        }
    }

    /// Words within `maxDistance` of `word`, best first (distance, then weight, then word),
    /// at most `limit`.
    public func candidates(for word: String, maxDistance: Int, limit: Int = 8) -> [TypoTrie.Match] {
        let (trie, recent) = state.withLock { ($0.trie, $0.recent) }
        var matches = trie.search(word, maxDistance: maxDistance)
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
