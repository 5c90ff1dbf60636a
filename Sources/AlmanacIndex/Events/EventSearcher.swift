public import AlmanacCore
public import NIOPosix

/// One page of a timeline search.
public struct EventSearchResult: Sendable {
    /// The events' stored JSON, in order.
    public var events: [[UInt8]]
    public var total: Int
    public var nextCursor: String?
}

/// Runs timeline searches and aggregations: searches on the Xapian months the time range
/// touches, aggregations on the resident columns (or, with `q`, on the values an index
/// pass collects).
public struct EventSearcher: Sendable {
    public let readers: EventReaders
    public let columns: EventColumnStore
    public let slots: SlotRegistry
    public let zones: ZoneResolver
    public var maxBuckets = 10_000
    /// Where aggregations run once their values are in memory (columns or collected):
    /// batch work, off the request path's read threads.
    let batch: NIOThreadPool

    /// - Parameter batch: the pool aggregations run on (default: the readers' own).
    public init(
        readers: EventReaders, columns: EventColumnStore, slots: SlotRegistry, batch: NIOThreadPool? = nil,
        zones: @escaping ZoneResolver = EventTimeZones.resolve
    ) {
        self.readers = readers
        self.columns = columns
        self.slots = slots
        self.batch = batch ?? readers.threadPool
        self.zones = zones
    }

    // MARK: - Search

    /// `forceIndex` counts a filtered `limit=0` search on the months too (tests compare).
    public func search(
        _ request: EventSearchRequest, tenant: String, settings: SearchSettings, forceIndex: Bool = false
    ) async throws -> EventSearchResult {
        let plan = try EventQueryPlan(tenant: tenant, q: request.q, filter: request.filter, range: request.range, settings: settings, slots: slots)
        let fingerprint = Cursor.fingerprint(tenant + "\u{1F}" + request.canonicalQuery)
        let cursor = try request.cursor.map { try Cursor.decode($0, fingerprint: fingerprint, scheme: .timeline) }
        if !forceIndex, request.limit == 0, plan.text == nil, let filter = plan.filter, ColumnFilter.unsupportedFields(filter).isEmpty {
            // A filtered count without `q`: a scan of the resident columns (which hold what
            // the months hold), not a walk of posting lists per month.
            let columns = columns.snapshot(tenant: tenant, range: request.range) ?? TenantColumns()
            let range = request.range
            let total = try await readers.threadPool.runIfActive {
                ColumnFilter(filter, columns: columns).count(columns, range: range)
            }
            return EventSearchResult(events: [], total: total, nextCursor: nil)
        }
        var months = readers.months(overlapping: request.range)
        if request.descending { months.reverse() }
        let cursorMonth = cursor?.time.map { EventMonth(containing: $0) }

        let want = request.limit == 0 ? 0 : request.limit + 1
        var hits: [XapianSearchResult.Hit] = []
        var total = 0
        var countOnly: [EventMonth] = []
        for month in months {
            let consumed: Bool
            if let cursorMonth { consumed = request.descending ? month > cursorMonth : month < cursorMonth } else { consumed = false }
            guard !consumed, hits.count < want else {
                countOnly.append(month)
                continue
            }
            let after = month == cursorMonth ? cursor?.key : nil
            let need = want - hits.count
            let descending = request.descending
            let (monthHits, monthTotal) = try await readers.withReader(month) { db in
                try plan.hits(db, month: month, descending: descending, max: need, after: after)
            }
            hits += monthHits
            total += monthTotal
        }
        total += try await count(plan, months: countOnly)

        let hasMore = hits.count > request.limit
        let page = Array(hits.prefix(request.limit))
        var next: String?
        if hasMore, let last = page.last {
            next = Cursor(
                fingerprint: fingerprint, key: last.sortKey,
                time: Int64(Sortable.unserialise(last.values[1])), lastID: String(decoding: last.values[0], as: UTF8.self)
            ).encoded
        }
        return EventSearchResult(events: page.map(\.data), total: total, nextCursor: next)
    }

    /// Exact match counts of several months, two at a time.
    private func count(_ plan: EventQueryPlan, months: [EventMonth]) async throws -> Int {
        guard !months.isEmpty else { return 0 }
        return try await withThrowingTaskGroup(of: Int.self) { group in
            var pending = months[...]
            var total = 0
            for _ in 0..<2 {
                guard let m = pending.popFirst() else { break }
                group.addTask { try await readers.withReader(m) { db in try plan.count(db, month: m) } }
            }
            while let n = try await group.next() {
                total += n
                if let m = pending.popFirst() {
                    group.addTask { try await readers.withReader(m) { db in try plan.count(db, month: m) } }
                }
            }
            return total
        }
    }

    // MARK: - Aggregate

    public func aggregate(
        _ request: EventAggregateRequest, tenant: String, settings: SearchSettings, forceIndex: Bool = false
    ) async throws -> EventAggregateResult {
        let plan = try EventQueryPlan(tenant: tenant, q: request.q, filter: request.filter, range: request.range, settings: settings, slots: slots)
        let resident = columns.snapshot(tenant: tenant, range: request.range) ?? TenantColumns()
        try checkNumericFields(request, resident: columns.snapshot(tenant: tenant, range: EventTimeRange()))
        let needsIndex = forceIndex || plan.text != nil || request.fields.contains("id")
            || (plan.filter.map { !ColumnFilter.unsupportedFields($0).isEmpty } ?? false)
        let (zones, maxBuckets) = (self.zones, self.maxBuckets)
        if !needsIndex {
            // Fail fast on too many buckets before any work.
            let aggregator = ColumnAggregator(
                columns: resident, filter: plan.filter.map { ColumnFilter($0, columns: resident) }, range: request.range,
                aggregations: request.aggregations, zones: zones, maxBuckets: maxBuckets)
            _ = try aggregator.prepareBuckets(range: request.range)
            return try await batch.runIfActive { try aggregator.run() }
        }
        _ = try ColumnAggregator(
            columns: TenantColumns(), filter: nil, range: request.range, aggregations: request.aggregations, zones: zones,
            maxBuckets: maxBuckets
        ).prepareBuckets(range: request.range)
        let collect = try await collect(plan, request: request)
        return try await batch.runIfActive {
            var result = try ColumnAggregator(
                columns: collect(), filter: nil, range: request.range, aggregations: request.aggregations, zones: zones,
                maxBuckets: maxBuckets
            ).run()
            result.path = "index"
            return result
        }
    }

    /// 400 when a stats/percentiles field or a `sum` holds only strings or booleans.
    private func checkNumericFields(_ request: EventAggregateRequest, resident: TenantColumns?) throws(AlmanacError) {
        guard let resident else { return }
        for a in request.aggregations {
            guard let field = a.aggregation.numericField else { continue }
            guard let id = resident.attributeID(String(field.dropFirst("attributes.".count))) else { continue }
            let kinds = resident.attributeKinds[Int(id)]
            if kinds & 1 == 0, kinds != 0 {
                let option: String
                switch a.aggregation {
                case .terms, .dateHistogram: option = "sum"
                case .stats, .percentiles: option = "field"
                }
                throw AlmanacError.invalidParameter(
                    "aggs.\(a.name).\(a.aggregation.kindName).\(option)",
                    "\(field) holds \(kinds & 2 != 0 ? "strings" : "booleans"), not numbers; \(option == "sum" ? "sum" : "stats and percentiles") need a numeric attribute")
            }
        }
    }

    /// The values the aggregations need, of every event matching `plan`, from the index;
    /// answers a function that turns them into columns (run it on the thread pool).
    private func collect(_ plan: EventQueryPlan, request: EventAggregateRequest) async throws -> @Sendable () -> TenantColumns {
        var keywordSlots: [EventKeyword] = []
        var attributeNames: [String] = []
        for field in request.fields where field != "occurred_at" {
            if let k = EventKeyword(field: field) {
                if !keywordSlots.contains(k) { keywordSlots.append(k) }
            } else if !attributeNames.contains(field) {
                attributeNames.append(field)
            }
        }
        let attributeSlots = attributeNames.map { slots.existingSlot(for: String($0.dropFirst("attributes.".count))) }
        let spySlots = [EventSlot.occurredAt] + keywordSlots.map(\.slot) + attributeSlots.compactMap { $0 }
        let months = readers.months(overlapping: request.range)
        var parts: [XapianCollectedValues] = []
        for month in months {
            parts.append(try await readers.withReader(month) { db in try plan.collect(db, month: month, slots: spySlots) })
        }
        let (collected, keywordSlotList, names, slotsOfNames) = (parts, keywordSlots, attributeNames, attributeSlots)
        return { Self.columns(from: collected, keywordSlots: keywordSlotList, attributeNames: names, attributeSlots: slotsOfNames) }
    }

    static func columns(
        from parts: [XapianCollectedValues], keywordSlots: [EventKeyword], attributeNames: [String], attributeSlots: [UInt32?]
    ) -> TenantColumns {
        var columns = TenantColumns()
        columns.hasIDs = true
        var keywords = [String?](repeating: nil, count: EventKeyword.allCases.count)
        for part in parts {
            part.forEachDocument { values in
                let time = Int64(Sortable.unserialise(values[0]))
                for (i, k) in keywordSlots.enumerated() {
                    let v = values[1 + i]
                    keywords[k.rawValue] = v.isEmpty ? nil : String(decoding: v, as: UTF8.self)
                }
                var attributes: [(String, AttributeCell)] = []
                var index = 1 + keywordSlots.count
                for (name, slot) in zip(attributeNames, attributeSlots) where slot != nil {
                    if let cell = AttributeCell(slotValue: values[index]) {
                        attributes.append((String(name.dropFirst("attributes.".count)), cell))
                    }
                    index += 1
                }
                columns.append(time: time, keywords: keywords, attributes: attributes)
            }
        }
        return columns
    }
}

extension Aggregation {
    var kindName: String {
        switch self {
        case .dateHistogram: "date_histogram"
        case .terms: "terms"
        case .stats: "stats"
        case .percentiles: "percentiles"
        }
    }
}

extension AttributeCell {
    /// Decodes a per-name attribute slot value (type tag + payload).
    init?(slotValue v: UnsafeRawBufferPointer) {
        guard let tag = v.first else { return nil }
        let payload = UnsafeRawBufferPointer(rebasing: v[1...])
        switch tag {
        case AttributeValue.stringTag: self = .string(String(decoding: payload, as: UTF8.self))
        case AttributeValue.numberTag: self = .number(Sortable.unserialise(payload))
        case AttributeValue.boolTag: self = .bool(payload.first == UInt8(ascii: "1"))
        default: return nil
        }
    }
}
