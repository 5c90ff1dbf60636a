import AlmanacCore

/// A timeline query parsed once and planned per month on the reader's thread (Xapian
/// query objects are not thread-safe): tenant term AND filter AND time range, filtered by
/// the text query when there is one.
struct EventQueryPlan: Sendable {
    let tenant: String
    let filter: TypedFilter?
    let text: TextQuery?
    let range: EventTimeRange
    let settings: SearchSettings
    let slots: SlotRegistry

    /// Parses `q` and `filter`; errors are 400s, thrown before any index work.
    init(tenant: String, q: String?, filter: String?, range: EventTimeRange, settings: SearchSettings, slots: SlotRegistry) throws {
        self.tenant = tenant
        self.filter = try filter.map { try FilterSchema.events.parse($0) }
        text = q.flatMap { TextQueryParser.events.parse($0) }
        self.range = range
        self.settings = settings
        self.slots = slots
    }

    /// The query for one month; the time range is left out when the month lies inside it.
    func query(month: EventMonth) throws -> XapianQuery {
        var parts = [try XapianQuery.term(Terms.keyword(Terms.tenant, tenant))]
        if let filter { parts.append(try FilterPlanner.events.with(slots: slots).plan(filter)) }
        let from = range.from.flatMap { $0 > month.start ? $0 : nil }
        let to = range.to.flatMap { $0 < month.end ? $0 : nil }
        switch (from, to) {
        case (let f?, let t?):
            parts.append(try .valueRange(slot: EventSlot.occurredAt, from: Self.encode(f), to: Self.encode(t - 1)))
        case (let f?, nil):
            parts.append(try .valueGE(slot: EventSlot.occurredAt, Self.encode(f)))
        case (nil, let t?):
            parts.append(try .valueLE(slot: EventSlot.occurredAt, Self.encode(t - 1)))
        case (nil, nil):
            break
        }
        let restriction = parts.count == 1 ? parts[0] : try XapianQuery.and(parts)
        guard let text else { return restriction }
        var planner = TextPlanner(
            stemmer: try XapianStemmer(language: settings.language), settings: settings, vocabulary: nil, fieldPrefixes: [:])
        guard let textQuery = try planner.plan(text) else { return restriction }
        return try .filter(textQuery, restriction)
    }

    static func encode(_ microseconds: Int64) -> [UInt8] { Sortable.serialise(Double(microseconds)) }

    /// Up to `max` hits of one month in (occurred_at, id) order after `after`, and the
    /// month's exact match count.
    func hits(
        _ db: XapianDatabase, month: EventMonth, descending: Bool, max: Int, after: [UInt8]?
    ) throws -> ([XapianSearchResult.Hit], Int) {
        var options = XapianSearchOptions()
        options.weighting = .bool
        options.sort = .keys([.init(slot: EventSlot.occurredAt, reverse: descending), .init(slot: EventSlot.id, reverse: false)])
        options.searchAfter = after
        options.maxItems = max
        options.checkAtLeast = Swift.max(try db.documentCount, 1)
        options.includeData = true
        options.valueSlots = [EventSlot.id, EventSlot.occurredAt]
        let result = try db.search(try query(month: month), options)
        return (result.hits, result.matchesLowerBound + result.skippedBySearchAfter)
    }

    /// The month's exact match count. With neither filter nor text over a whole month it
    /// is the tenant term's frequency (a document is never removed from its month).
    func count(_ db: XapianDatabase, month: EventMonth) throws -> Int {
        if filter == nil, text == nil, (range.from ?? .min) <= month.start, (range.to ?? .max) >= month.end {
            return try db.termFrequency(Terms.keyword(Terms.tenant, tenant))
        }
        var options = XapianSearchOptions()
        options.weighting = .bool
        options.maxItems = 0
        options.checkAtLeast = Swift.max(try db.documentCount, 1)
        return try db.search(try query(month: month), options).matchesLowerBound
    }

    /// The values of `slots` of every match in the month.
    func collect(_ db: XapianDatabase, month: EventMonth, slots: [UInt32]) throws -> XapianCollectedValues {
        var options = XapianSearchOptions()
        options.weighting = .bool
        options.maxItems = 0
        options.checkAtLeast = Swift.max(try db.documentCount, 1)
        options.spies = [.collect(slots: slots)]
        let result = try db.search(try query(month: month), options)
        return result.spyResults.first?.collected ?? XapianCollectedValues(slots: slots, documentCount: 0, bytes: [])
    }
}
