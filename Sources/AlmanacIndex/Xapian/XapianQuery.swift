import CXapian

/// An immutable Xapian query tree. Combining copies the subqueries' references, so the
/// parts may be released afterwards.
///
/// Not thread-safe (Xapian reference-counts query nodes without atomics): build and run a
/// query on one thread at a time; a freshly built query may be handed to another thread.
public final class XapianQuery: CustomStringConvertible {
    private let handle: OpaquePointer

    private init(owning handle: OpaquePointer) {
        self.handle = handle
    }

    deinit { cxapian_query_free(handle) }

    /// Calls `body` with the C handle. Do not store the handle.
    func withUnsafeHandle<R>(_ body: (OpaquePointer) throws -> R) rethrows -> R {
        try withExtendedLifetime(self) { try body(handle) }
    }

    private static func make(
        _ what: @autoclosure () -> String, _ body: (UnsafeMutablePointer<cxapian_error>) -> OpaquePointer?
    ) throws -> XapianQuery {
        XapianQuery(owning: try xapianHandle(what(), body))
    }

    // MARK: Leaves

    /// Every document.
    public static func matchAll() -> XapianQuery {
        XapianQuery(owning: xapianMust("cxapian_query_match_all") { cxapian_query_match_all($0) }!)
    }

    /// No document.
    public static func matchNothing() -> XapianQuery {
        XapianQuery(owning: xapianMust("cxapian_query_match_nothing") { cxapian_query_match_nothing($0) }!)
    }

    /// A term. `wqf` is its within-query frequency; `position` (1-based, 0 for none) is its
    /// position in the query, used by phrase and near queries.
    public static func term(_ term: String, wqf: UInt32 = 1, position: UInt32 = 0) throws -> XapianQuery {
        try make("term query") { err in
            withBytes(term) { cxapian_query_term($0, $1, wqf, position, err) }
        }
    }

    /// Documents whose value in `slot` lies in `from...to` (bytewise comparison; use
    /// `Sortable.serialise` for numbers).
    public static func valueRange(slot: UInt32, from: [UInt8], to: [UInt8]) throws -> XapianQuery {
        try make("value range query") { err in
            withBytes(from) { f, fn in
                withBytes(to) { cxapian_query_value_range(slot, f, fn, $0, $1, err) }
            }
        }
    }

    /// Documents whose value in `slot` is >= `from`.
    public static func valueGE(slot: UInt32, _ from: [UInt8]) throws -> XapianQuery {
        try make("value >= query") { err in
            withBytes(from) { cxapian_query_value_ge(slot, $0, $1, err) }
        }
    }

    /// Documents whose value in `slot` is <= `to` (and set).
    public static func valueLE(slot: UInt32, _ to: [UInt8]) throws -> XapianQuery {
        try make("value <= query") { err in
            withBytes(to) { cxapian_query_value_le(slot, $0, $1, err) }
        }
    }

    public enum WildcardLimit: Sendable, Hashable {
        /// Searching fails with `XapianError.Code.wildcardExpansion` past the limit.
        case error
        /// The first `maxExpansion` terms in byte order.
        case first
        /// The `maxExpansion` terms with the highest term frequency.
        case mostFrequent
    }

    public enum WildcardCombiner: Sendable, Hashable {
        /// Weighs the expansion like one term (the default).
        case synonym
        case or
        case max
    }

    /// Terms starting with `prefix`; `maxExpansion` 0 means unlimited. The expansion happens
    /// when the query runs.
    public static func wildcard(
        prefix: String, maxExpansion: UInt32 = 0, limit: WildcardLimit = .mostFrequent,
        combiner: WildcardCombiner = .synonym
    ) throws -> XapianQuery {
        let cLimit: cxapian_wildcard_limit
        switch limit {
        case .error: cLimit = CXAPIAN_WILDCARD_LIMIT_ERROR
        case .first: cLimit = CXAPIAN_WILDCARD_LIMIT_FIRST
        case .mostFrequent: cLimit = CXAPIAN_WILDCARD_LIMIT_MOST_FREQUENT
        }
        let cCombiner: cxapian_query_op
        switch combiner {
        case .synonym: cCombiner = CXAPIAN_OP_SYNONYM
        case .or: cCombiner = CXAPIAN_OP_OR
        case .max: cCombiner = CXAPIAN_OP_MAX
        }
        return try make("wildcard query") { err in
            withBytes(prefix) { cxapian_query_wildcard($0, $1, maxExpansion, cLimit, cCombiner, err) }
        }
    }

    // MARK: Combinations

    public enum Operator: Sendable, Hashable {
        case and, or, andNot, xor, andMaybe, filter
        /// Terms within `window` positions of each other, in any order (0: number of terms).
        case near(window: UInt32)
        /// Terms in order within `window` positions (0: number of terms).
        case phrase(window: UInt32)
        /// The `size` best terms only (0: Xapian's default).
        case eliteSet(size: UInt32)
        case synonym, max

        var c: (cxapian_query_op, UInt32) {
            switch self {
            case .and: (CXAPIAN_OP_AND, 0)
            case .or: (CXAPIAN_OP_OR, 0)
            case .andNot: (CXAPIAN_OP_AND_NOT, 0)
            case .xor: (CXAPIAN_OP_XOR, 0)
            case .andMaybe: (CXAPIAN_OP_AND_MAYBE, 0)
            case .filter: (CXAPIAN_OP_FILTER, 0)
            case .near(let window): (CXAPIAN_OP_NEAR, window)
            case .phrase(let window): (CXAPIAN_OP_PHRASE, window)
            case .eliteSet(let size): (CXAPIAN_OP_ELITE_SET, size)
            case .synonym: (CXAPIAN_OP_SYNONYM, 0)
            case .max: (CXAPIAN_OP_MAX, 0)
            }
        }
    }

    /// Combines `subqueries` with `op`. For the binary operators (andNot, andMaybe, filter)
    /// the first subquery is the left side and the others are combined as Xapian does.
    public static func combine(_ op: Operator, _ subqueries: [XapianQuery]) throws -> XapianQuery {
        let (cOp, parameter) = op.c
        return try withExtendedLifetime(subqueries) {
            let handles: [OpaquePointer?] = subqueries.map { $0.handle }
            return try make("combine queries") { err in
                handles.withUnsafeBufferPointer {
                    cxapian_query_combine(cOp, $0.baseAddress, $0.count, parameter, err)
                }
            }
        }
    }

    public static func and(_ subqueries: [XapianQuery]) throws -> XapianQuery {
        try combine(.and, subqueries)
    }

    public static func or(_ subqueries: [XapianQuery]) throws -> XapianQuery {
        try combine(.or, subqueries)
    }

    public static func xor(_ subqueries: [XapianQuery]) throws -> XapianQuery {
        try combine(.xor, subqueries)
    }

    /// Documents matching `left` but not `right`.
    public static func andNot(_ left: XapianQuery, _ right: XapianQuery) throws -> XapianQuery {
        try combine(.andNot, [left, right])
    }

    /// Documents matching `left`; `right` only adds weight.
    public static func andMaybe(_ left: XapianQuery, _ right: XapianQuery) throws -> XapianQuery {
        try combine(.andMaybe, [left, right])
    }

    /// Documents matching both, weighted by `query` only.
    public static func filter(_ query: XapianQuery, _ filter: XapianQuery) throws -> XapianQuery {
        try combine(.filter, [query, filter])
    }

    public static func phrase(_ terms: [XapianQuery], window: UInt32 = 0) throws -> XapianQuery {
        try combine(.phrase(window: window), terms)
    }

    public static func near(_ terms: [XapianQuery], window: UInt32 = 0) throws -> XapianQuery {
        try combine(.near(window: window), terms)
    }

    public static func eliteSet(_ subqueries: [XapianQuery], size: UInt32 = 0) throws -> XapianQuery {
        try combine(.eliteSet(size: size), subqueries)
    }

    /// One virtual term whose within-document frequency is the sum of the subqueries'.
    ///
    /// Three or more are nested in pairs, in the order given: Xapian 1.4 estimates a
    /// synonym's document frequency (which its weight uses) over a tree of binary ORs it
    /// shapes per database by that database's own frequencies, rounding at every node, so
    /// a flat synonym could weigh differently in a sharded index than in one database. A
    /// synonym inside a synonym is matched as a plain OR (Xapian's `do_synonym` at factor
    /// 0), so each pair is one fixed node and the estimate is the same for any shards: the
    /// pair formula is symmetric. Matches and summed wdf are those of the flat synonym.
    public static func synonym(_ subqueries: [XapianQuery]) throws -> XapianQuery {
        var level = subqueries
        while level.count > 2 {
            var next: [XapianQuery] = []
            next.reserveCapacity((level.count + 1) / 2)
            var i = 0
            while i + 1 < level.count {
                next.append(try combine(.synonym, [level[i], level[i + 1]]))
                i += 2
            }
            if i < level.count { next.append(level[i]) }
            level = next
        }
        return try combine(.synonym, level)
    }

    public static func max(_ subqueries: [XapianQuery]) throws -> XapianQuery {
        try combine(.max, subqueries)
    }

    /// `query` with its weights multiplied by `factor` (>= 0; 0 makes it boolean).
    public static func scaleWeight(_ query: XapianQuery, _ factor: Double) throws -> XapianQuery {
        try query.withUnsafeHandle { q in
            try make("scale weight") { cxapian_query_scale_weight(q, factor, $0) }
        }
    }

    /// Xapian's description of the query, e.g. `Query((a AND b))`.
    public var description: String {
        var length = 0
        let p = xapianMust("cxapian_query_description") {
            cxapian_query_description(handle, &length, $0)
        }
        return takeString(p, length)
    }
}

@available(*, unavailable, message: "Xapian query nodes are reference-counted without atomics")
extension XapianQuery: Sendable {}
