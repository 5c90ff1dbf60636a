/// An immutable trie over a vocabulary, searched with a bounded Damerau-Levenshtein
/// (optimal string alignment) walk: the dynamic-programming row for a prefix is shared by
/// every word below it, and a branch is cut as soon as its row's minimum exceeds the
/// allowed distance. For distance 1 this visits a small fraction of the trie.
///
/// Near the root such a walk keeps almost everything (any two letters are within two edits
/// of anything), so it splits the query: an alignment of cost <= k spends at most k / 2
/// (rounded down) on the query's first half or on its last half (the halves' edits are
/// disjoint, see `walk`). One walk of the trie requires that of the first half, one walk of
/// a trie of the reversed words that of the (reversed) last half; together they find every
/// word within k edits, each cut near the root as a walk with half the distance would be.
/// Measured on the 63k-product vocabulary (77k words, the 1000 benchmark queries' words):
/// distance 2 from 0.76 to 0.24 ms a word (median), distance 1 from 0.078 to 0.019 ms.
///
/// Words are compared by Unicode scalars, so `é` is one edit away from `e`.
public struct TypoTrie: Sendable {
    /// One trie. Node i: edges are firstEdge[i] ..< firstEdge[i] + edgeCount[i];
    /// wordAt[i] >= 0 (an index into `words`) if a word ends here.
    struct Graph: Sendable {
        var firstEdge: [Int32] = []
        var edgeCount: [Int32] = []
        var wordAt: [Int32] = []
        var labels: [UInt32] = []
        var targets: [Int32] = []

        /// Appends the node for the sorted range `range` of `keys` (all sharing `depth`
        /// leading scalars); `ids[i]` is the word index of `keys[i]`.
        mutating func build(_ keys: [[UInt32]], _ ids: [Int32], _ range: Range<Int>, depth: Int) -> Int32 {
            let node = Int32(firstEdge.count)
            firstEdge.append(0)
            edgeCount.append(0)
            wordAt.append(-1)
            var lo = range.lowerBound
            if lo < range.upperBound, keys[lo].count == depth {
                wordAt[Int(node)] = ids[lo]
                lo += 1
            }
            // Group children by the scalar at `depth`.
            var groups: [(label: UInt32, range: Range<Int>)] = []
            var i = lo
            while i < range.upperBound {
                let label = keys[i][depth]
                var j = i + 1
                while j < range.upperBound, keys[j][depth] == label { j += 1 }
                groups.append((label, i..<j))
                i = j
            }
            let first = labels.count
            firstEdge[Int(node)] = Int32(first)
            edgeCount[Int(node)] = Int32(groups.count)
            for group in groups {
                labels.append(group.label)
                targets.append(-1)
            }
            for (k, group) in groups.enumerated() {
                let child = build(keys, ids, group.range, depth: depth + 1)
                targets[first + k] = child
            }
            return node
        }
    }

    private var forward = Graph()
    /// The same words reversed, for the second half of a distance-2 search.
    private var backward = Graph()
    /// The vocabulary, sorted, and each word's weight (document frequency).
    public private(set) var words: [String] = []
    public private(set) var weights: [Int32] = []

    public var count: Int { words.count }

    public init() {
        self.init(entries: [])
    }

    /// Builds a trie from (word, weight) pairs; duplicates keep the larger weight.
    public init(entries: [(String, Int)]) {
        var scalarsByWord: [(scalars: [UInt32], word: String, weight: Int)] = entries.map {
            (Array($0.0.unicodeScalars.map(\.value)), $0.0, $0.1)
        }
        scalarsByWord.sort { $0.scalars.lexicographicallyPrecedes($1.scalars) }
        var unique: [(scalars: [UInt32], word: String, weight: Int)] = []
        unique.reserveCapacity(scalarsByWord.count)
        for entry in scalarsByWord {
            if let last = unique.last, last.scalars == entry.scalars {
                unique[unique.count - 1].weight = max(last.weight, entry.weight)
            } else {
                unique.append(entry)
            }
        }
        words = unique.map(\.word)
        weights = unique.map { Int32(clamping: $0.weight) }
        let keys = unique.map(\.scalars)
        _ = forward.build(keys, keys.indices.map { Int32($0) }, 0..<keys.count, depth: 0)
        var reversed = keys.indices.map { (key: Array(keys[$0].reversed()), id: Int32($0)) }
        reversed.sort { $0.key.lexicographicallyPrecedes($1.key) }
        _ = backward.build(reversed.map(\.key), reversed.map(\.id), 0..<reversed.count, depth: 0)
    }

    /// The weight of `word` when the trie holds it (binary search over the sorted words).
    public func weight(of word: String) -> Int? {
        let key = Array(word.unicodeScalars.map(\.value))
        var lo = 0, hi = words.count
        while lo < hi {
            let mid = (lo + hi) / 2
            let probe = words[mid].unicodeScalars.map(\.value)
            if probe == key { return Int(weights[mid]) }
            if probe.lexicographicallyPrecedes(key) { lo = mid + 1 } else { hi = mid }
        }
        return nil
    }

    /// A word within the distance, with its weight.
    public struct Match: Sendable, Equatable {
        public var word: String
        public var distance: Int
        public var weight: Int
    }

    /// Every vocabulary word within `maxDistance` edits of `query` (insert, delete,
    /// substitute, transpose adjacent), excluding `query` itself.
    public func search(_ query: String, maxDistance: Int) -> [Match] {
        guard !words.isEmpty, maxDistance > 0 else { return [] }
        let q = Array(query.unicodeScalars.map(\.value))
        var found: [(word: Int32, distance: Int)] = []
        if q.count < 2 {
            Self.walk(forward, q, maxDistance, halfLimit: -1, into: &found)
        } else {
            // At most k / 2 edits in q[0..<a] (columns 1...a), or at most k / 2 in the
            // reversed q[a+1..<m] (its columns 1...b); a + b = m - 1 leaves column a + 1 to
            // neither side, so no move is counted on both (see `walk`).
            let a = (q.count - 1) / 2
            let b = q.count - 1 - a
            Self.walk(forward, q, maxDistance, halfLimit: a, into: &found)
            Self.walk(backward, Array(q.reversed()), maxDistance, halfLimit: b, into: &found)
            // A word both walks found: its distance is the smaller (the walk whose side the
            // word's best alignment keeps within one edit reports it exactly).
            var best: [Int32: Int] = [:]
            for f in found { best[f.word] = min(best[f.word] ?? Int.max, f.distance) }
            found = best.map { ($0.key, $0.value) }
        }
        return found.map { Match(word: words[Int($0.word)], distance: $0.distance, weight: Int(weights[Int($0.word)])) }
    }

    /// Depth-first walk of `graph` sharing one dynamic-programming row per depth. Only the
    /// diagonal band |j - d| <= k of row d can hold a value within the distance; the cells
    /// just outside it are set to k + 1 (any value above the limit acts the same), so a row
    /// costs 2k + 1 cells rather than the query's length.
    ///
    /// `halfLimit` h >= 0 keeps only alignments spending at most k / 2 edits on the query's
    /// first h scalars: a cell of a column j <= h (its prefix cost) above k / 2 is dead. A move
    /// ending in such a column is an edit of that prefix; with h = a in the forward walk
    /// and h = b in the backward one, a + b = m - 1, a move never ends in a column <= a and
    /// starts in one >= a + 1 (a transposition spans two columns forward: it ends where it
    /// is counted), so the two prefix costs of one alignment add up to at most its cost.
    private static func walk(
        _ graph: Graph, _ query: [UInt32], _ k: Int, halfLimit h: Int, into out: inout [(word: Int32, distance: Int)]
    ) {
        graph.firstEdge.withUnsafeBufferPointer { firstEdge in
            graph.edgeCount.withUnsafeBufferPointer { edgeCount in
                graph.wordAt.withUnsafeBufferPointer { wordAt in
                    graph.labels.withUnsafeBufferPointer { labels in
                        graph.targets.withUnsafeBufferPointer { targets in
                            query.withUnsafeBufferPointer { q in
                                walk(
                                    Nodes(firstEdge: firstEdge, edgeCount: edgeCount, wordAt: wordAt, labels: labels, targets: targets),
                                    q, k, h, into: &out)
                            }
                        }
                    }
                }
            }
        }
    }

    /// The trie's arrays, borrowed for one walk (the hot loop runs without bounds checks
    /// or reference counting; every index below is in range by construction).
    private struct Nodes {
        let firstEdge: UnsafeBufferPointer<Int32>
        let edgeCount: UnsafeBufferPointer<Int32>
        let wordAt: UnsafeBufferPointer<Int32>
        let labels: UnsafeBufferPointer<UInt32>
        let targets: UnsafeBufferPointer<Int32>
    }

    private static func walk(
        _ t: Nodes, _ q: UnsafeBufferPointer<UInt32>, _ k: Int, _ h: Int, into out: inout [(word: Int32, distance: Int)]
    ) {
        guard !t.firstEdge.isEmpty else { return }
        let m = q.count
        let maxDepth = m + k
        let width = m + 1
        let dead = k + 1
        let cap = k / 2
        let rows = UnsafeMutablePointer<Int>.allocate(capacity: (maxDepth + 1) * width)
        defer { rows.deallocate() }
        let path = UnsafeMutablePointer<UInt32>.allocate(capacity: maxDepth + 1)
        defer { path.deallocate() }
        // Explicit stack of (node, depth, next edge offset); depth never exceeds maxDepth.
        let stackNode = UnsafeMutablePointer<Int32>.allocate(capacity: maxDepth + 1)
        defer { stackNode.deallocate() }
        let stackEdge = UnsafeMutablePointer<Int32>.allocate(capacity: maxDepth + 1)
        defer { stackEdge.deallocate() }
        for j in 0...m { rows[j] = j <= h && j > cap ? dead : j }
        path[0] = 0
        var top = 0  // the stack holds depths 0...top
        stackNode[0] = 0
        stackEdge[0] = 0
        while top >= 0 {
            let node = Int(stackNode[top])
            let depth = top
            let edge = stackEdge[top]
            if edge >= t.edgeCount[node] || depth >= maxDepth {
                top -= 1
                continue
            }
            stackEdge[top] = edge + 1
            let e = Int(t.firstEdge[node] + edge)
            let c = t.labels[e]
            let child = t.targets[e]
            let d = depth + 1
            path[d] = c
            let row = rows + d * width
            let prev = rows + depth * width
            // Column 0: the word's first d scalars deleted (an edit of the empty prefix).
            row[0] = h >= 0 && d > cap ? dead : d
            var rowMin = row[0]
            let lo = max(1, d - k)
            let hi = min(m, d + k)
            if lo > 1 { row[lo - 1] = dead }
            if hi < m { row[hi + 1] = dead }
            if lo <= hi {
                let previousLabel = path[d - 1]
                for j in lo...hi {
                    let cost = q[j - 1] == c ? 0 : 1
                    var v = min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + cost)
                    if d >= 2, j >= 2, c == q[j - 2], previousLabel == q[j - 1] {
                        v = min(v, rows[(d - 2) * width + j - 2] + 1)
                    }
                    if j <= h && v > cap { v = dead }
                    row[j] = v
                    if v < rowMin { rowMin = v }
                }
            }
            if rowMin > k { continue }
            let w = t.wordAt[Int(child)]
            if w >= 0, lo <= m, m <= hi, row[m] <= k, row[m] > 0 {
                out.append((w, row[m]))
            }
            top += 1
            stackNode[top] = child
            stackEdge[top] = 0
        }
    }

    /// Optimal string alignment distance between two words (for small ad-hoc lists).
    public static func distance(_ a: String, _ b: String, limit: Int) -> Int? {
        let x = Array(a.unicodeScalars.map(\.value))
        let y = Array(b.unicodeScalars.map(\.value))
        if abs(x.count - y.count) > limit { return nil }
        let n = x.count, m = y.count
        if n == 0 { return m <= limit ? m : nil }
        if m == 0 { return n <= limit ? n : nil }
        var d = [[Int]](repeating: [Int](repeating: 0, count: m + 1), count: n + 1)
        for i in 0...n { d[i][0] = i }
        for j in 0...m { d[0][j] = j }
        for i in 1...n {
            var rowMin = Int.max
            for j in 1...m {
                let cost = x[i - 1] == y[j - 1] ? 0 : 1
                var v = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
                if i > 1, j > 1, x[i - 1] == y[j - 2], x[i - 2] == y[j - 1] { v = min(v, d[i - 2][j - 2] + 1) }
                d[i][j] = v
                rowMin = min(rowMin, v)
            }
            if rowMin > limit { return nil }
        }
        return d[n][m] <= limit ? d[n][m] : nil
    }
}
