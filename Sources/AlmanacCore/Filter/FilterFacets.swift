/// How a filter constrains one facet field, for disjunctive facet counts (API.md: a facet
/// field that the filter also constrains is counted as if that field's own condition
/// were absent, the rest of the filter applying).
///
/// Rule: the filter is split into its top-level AND-ed parts (nested AND groups at the
/// top are flattened, since AND is associative). A part whose conditions are all on the
/// facet field (`brand = "A"`, `brand IN [...]`, `(brand = "A" OR brand = "B")`,
/// `NOT brand = "A"`) is removable: it is dropped when counting that facet. A part that
/// mixes the field with other fields (`brand = "A" OR price < 10`, `NOT (brand = "A" AND
/// in_stock = true)`) is not removable and stays: dropping it would drop the other
/// fields' constraints too, and keeping only a piece of an OR or NOT would change what it
/// means. Such a facet is then counted conjunctively for that part, which is exact (every
/// counted document matches the filter) if less helpful.
public struct FacetFilterSplit<Node: Sendable & Hashable>: Sendable, Hashable {
    /// The facet field.
    public var field: String
    /// Top-level parts that constrain only `field`: removed for this facet's counts.
    public var removed: [Node]
    /// Top-level parts that mention `field` together with other fields: kept.
    public var mixed: [Node]
    /// The filter to count this facet with: the original filter without `removed`, or nil
    /// when nothing is left (count over everything). When nothing was removed it is the
    /// original filter, unchanged.
    public var remainder: Node?

    /// Whether the facet is counted disjunctively (something was removed).
    public var isDisjunctive: Bool { !removed.isEmpty }
}

extension FilterExpression {
    /// The top-level AND-ed parts, nested top-level AND groups flattened; a filter that is
    /// not an AND is its own single part.
    public var conjuncts: [FilterExpression] {
        FacetSplitter.conjuncts(of: self, children: { if case .and(let c) = $0 { c } else { nil } })
    }

    /// Splits the filter for counting the facet on `field` (see `FacetFilterSplit`).
    public func facetSplit(for field: String) -> FacetFilterSplit<FilterExpression> {
        FacetSplitter.split(self, field: field, children: { if case .and(let c) = $0 { c } else { nil } }, fields: \.fields, makeAnd: { .and($0) })
    }
}

extension TypedFilter {
    /// The top-level AND-ed parts, nested top-level AND groups flattened.
    public var conjuncts: [TypedFilter] {
        FacetSplitter.conjuncts(of: self, children: { if case .and(let c) = $0 { c } else { nil } })
    }

    /// Splits the filter for counting the facet on `field` (see `FacetFilterSplit`).
    public func facetSplit(for field: String) -> FacetFilterSplit<TypedFilter> {
        FacetSplitter.split(self, field: field, children: { if case .and(let c) = $0 { c } else { nil } }, fields: \.fields, makeAnd: { .and($0) })
    }
}

private enum FacetSplitter {
    static func conjuncts<Node>(of root: Node, children: (Node) -> [Node]?) -> [Node] {
        var result: [Node] = []
        // Iterative: a hand-built tree may be deep.
        var stack: [Node] = [root]
        while let node = stack.popLast() {
            if let nested = children(node) {
                stack.append(contentsOf: nested.reversed())
            } else {
                result.append(node)
            }
        }
        return result
    }

    static func split<Node>(
        _ root: Node, field: String, children: (Node) -> [Node]?, fields: (Node) -> Set<String>, makeAnd: ([Node]) -> Node
    ) -> FacetFilterSplit<Node> {
        var removed: [Node] = []
        var mixed: [Node] = []
        var kept: [Node] = []
        for part in conjuncts(of: root, children: children) {
            let mentioned = fields(part)
            if mentioned == [field] {
                removed.append(part)
            } else {
                if mentioned.contains(field) { mixed.append(part) }
                kept.append(part)
            }
        }
        let remainder: Node?
        if removed.isEmpty {
            remainder = root
        } else {
            switch kept.count {
            case 0: remainder = nil
            case 1: remainder = kept[0]
            default: remainder = makeAnd(kept)
            }
        }
        return FacetFilterSplit(field: field, removed: removed, mixed: mixed, remainder: remainder)
    }
}
