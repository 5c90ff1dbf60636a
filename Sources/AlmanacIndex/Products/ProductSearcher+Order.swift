/// Relevance order that does not depend on how the index is sharded.
///
/// Xapian adds up a query's parts in an order it picks per database from that database's
/// term statistics, so one product's score can differ in its last bits between a 1-shard
/// index and a 3-shard one (measured: two products at 222.0247 swapped places). Xapian
/// then orders by those bits, and exact ties by docid, which interleaves across shards.
/// Scores are therefore compared at single precision (24 bits: a relative 6e-8, far below
/// what the rendered score shows), and equal ones by the sort keys and the id.
extension ProductSearch {
    /// Hits fetched either side of a relevance page, so its ties are whole at the first try.
    static let scoreMargin = 8

    /// A score as relevance order compares it.
    static func scoreKey(_ weight: Double) -> Float { Float(weight) }

    /// Relevance order: score (as `scoreKey`) descending, then the sort key (the request's
    /// keys after `_score`, then the id: Xapian's `relevanceThenKeys` key) ascending.
    static func scoreOrdered(_ hits: [XapianSearchResult.Hit]) -> [XapianSearchResult.Hit] {
        hits.sorted { a, b in
            let (x, y) = (scoreKey(a.weight), scoreKey(b.weight))
            return x != y ? x > y : a.sortKey.lexicographicallyPrecedes(b.sortKey)
        }
    }

    /// Where the page starts in a window fetched from `first`: after the cursor's last id
    /// when the window holds it, else at the offset.
    static func pageStart(_ hits: [XapianSearchResult.Hit], cursor: Cursor?, offset: Int, first: Int) -> Int {
        if let cursor, let i = hits.firstIndex(where: { String(decoding: $0.values[0], as: UTF8.self) == cursor.lastID }) {
            return i + 1
        }
        return max(0, offset - first)
    }

    /// Whether no match outside the window (from `first`; `complete`: it holds every match
    /// after `first`) can belong to the page of `limit` + 1 hits at `page`: the window
    /// starts at the top or above the page's first score, and ends with every match or
    /// below the page's last score.
    static func pageIsWhole(_ hits: [XapianSearchResult.Hit], first: Int, complete: Bool, page: Int, limit: Int) -> Bool {
        guard page < hits.count else { return first == 0 || complete }
        let end = min(page + limit + 1, hits.count) - 1
        let top = first == 0 || scoreKey(hits[0].weight) > scoreKey(hits[page].weight)
        let bottom = complete || scoreKey(hits[hits.count - 1].weight) < scoreKey(hits[end].weight)
        return top && bottom
    }
}
