import CXapian

extension XapianDatabase {
    /// Runs `query` in a single CXapian call (matching, hits, spies).
    ///
    /// If a writer has overwritten the revision this reader was reading, the handle reopens
    /// and the search runs again (see `retryingStaleReads`).
    public func search(_ query: XapianQuery, _ options: XapianSearchOptions = .init()) throws
        -> XapianSearchResult
    {
        try retryingStaleReads { try searchOnce(query, options) }
    }

    /// How many times a read is attempted while writers keep overwriting its revision.
    public static let staleReadAttempts = 16

    /// Runs `body`, reopening and running it again while the revision it read went stale.
    ///
    /// A writer reuses the blocks of revisions older than the previous one, so a reader
    /// whose revision is two commits old reads blocks that now hold something else. Xapian
    /// says so with `DatabaseModifiedError`, and in some posting-list paths with
    /// `DatabaseCorruptError` ("Unexpected end of posting list"; found by fuzzing the HTTP
    /// API under writes). A corrupt error counts as stale only when `reopen()` finds a newer
    /// revision; on the latest revision it is real and thrown. Under a storm of commits one
    /// retry can lose the race again, hence several attempts.
    /// `attempts` bounds the runs of `body`: a caller whose body only calls `search` (which
    /// retries by itself) needs few.
    public func retryingStaleReads<T>(attempts: Int = staleReadAttempts, _ body: () throws -> T) throws -> T {
        var attempt = 1
        while true {
            do {
                return try body()
            } catch let error as XapianError where error.isStaleRead && attempt < attempts {
                let moved = try reopenToLatest()
                if error.code == .databaseCorrupt && !moved { throw error }
                attempt += 1
            }
        }
    }

    /// `reopen()`, which can itself lose the race with a writer that keeps committing:
    /// retried a few times. True when a newer revision was found.
    private func reopenToLatest() throws -> Bool {
        var attempt = 1
        while true {
            do {
                return try reopen()
            } catch let error as XapianError where error.isStaleRead && attempt < Self.staleReadAttempts {
                // The revision being opened was overwritten: a newer one exists.
                attempt += 1
            }
        }
    }

    private func searchOnce(_ query: XapianQuery, _ options: XapianSearchOptions) throws
        -> XapianSearchResult
    {
        try withUnsafeHandle { db in
            try query.withUnsafeHandle { q in
                let result = try withCSearchOptions(options) { cOptions in
                    try xapianHandle("search \(context)") { cxapian_search(db, q, cOptions, $0) }
                }
                defer { cxapian_result_free(result) }
                return convertResult(result, options)
            }
        }
    }
}

// MARK: - Options to C

private func clampU32(_ value: Int) -> UInt32 {
    value <= 0 ? 0 : UInt32(clamping: value)
}

/// Calls `body` with the C form of `options`; every pointer in it is valid only inside.
private func withCSearchOptions<R>(
    _ options: XapianSearchOptions, _ body: (UnsafePointer<cxapian_search_options>) throws -> R
) rethrows -> R {
    let sortMode: cxapian_sort
    let keys: [XapianSearchOptions.SortKey]
    switch options.sort {
    case .relevance: (sortMode, keys) = (CXAPIAN_SORT_RELEVANCE, [])
    case .relevanceThenKeys(let k): (sortMode, keys) = (CXAPIAN_SORT_RELEVANCE_THEN_KEYS, k)
    case .keys(let k): (sortMode, keys) = (CXAPIAN_SORT_KEYS, k)
    case .keysThenRelevance(let k): (sortMode, keys) = (CXAPIAN_SORT_KEYS_THEN_RELEVANCE, k)
    }
    let cKeys = keys.map { cxapian_sort_key(slot: $0.slot, reverse: $0.reverse, missing_last: $0.missingLast) }

    // Spy ranges and slots go into two flat arrays; specs point into them by offset.
    var ranges: [cxapian_numeric_range] = []
    var slots: [UInt32] = []
    for spy in options.spies {
        switch spy {
        case .numericRanges(_, let r):
            ranges += r.map {
                cxapian_numeric_range(
                    from: $0.from ?? 0, to: $0.to ?? 0, has_from: $0.from != nil, has_to: $0.to != nil)
            }
        case .collect(let s): slots += s
        case .valueCount, .multiValueCount: break
        }
    }

    return try cKeys.withUnsafeBufferPointer { keysBuffer in
        try ranges.withUnsafeBufferPointer { rangesBuffer in
            try slots.withUnsafeBufferPointer { slotsBuffer in
                var rangeOffset = 0
                var slotOffset = 0
                let specs = options.spies.map { spy -> cxapian_spy_spec in
                    var spec = cxapian_spy_spec()
                    switch spy {
                    case .valueCount(let slot):
                        spec.kind = CXAPIAN_SPY_VALUE_COUNT
                        spec.slot = slot
                    case .multiValueCount(let slot):
                        spec.kind = CXAPIAN_SPY_MULTI_VALUE_COUNT
                        spec.slot = slot
                    case .numericRanges(let slot, let r):
                        spec.kind = CXAPIAN_SPY_NUMERIC_RANGES
                        spec.slot = slot
                        spec.ranges = rangesBuffer.baseAddress.map { $0 + rangeOffset }
                        spec.range_count = r.count
                        rangeOffset += r.count
                    case .collect(let s):
                        spec.kind = CXAPIAN_SPY_COLLECT
                        spec.slots = slotsBuffer.baseAddress.map { $0 + slotOffset }
                        spec.slot_count = s.count
                        slotOffset += s.count
                    }
                    return spec
                }
                return try specs.withUnsafeBufferPointer { specsBuffer in
                    try options.valueSlots.withUnsafeBufferPointer { valueSlotsBuffer in
                        try withOptionalBytes(options.searchAfter) { after, afterCount in
                            var c = cxapian_search_options()
                            c.first = clampU32(options.first)
                            c.max_items = clampU32(options.maxItems)
                            c.check_at_least = clampU32(options.checkAtLeast)
                            switch options.weighting {
                            case .bool: c.weighting = CXAPIAN_WEIGHTING_BOOL
                            case .bm25: c.weighting = CXAPIAN_WEIGHTING_BM25
                            case .bm25Parameters(let k1, let b):
                                c.weighting = CXAPIAN_WEIGHTING_BM25_PARAMETERS
                                c.bm25_k1 = k1
                                c.bm25_b = b
                            }
                            c.sort = sortMode
                            c.sort_keys = keysBuffer.baseAddress
                            c.sort_key_count = keysBuffer.count
                            c.has_search_after = options.searchAfter != nil
                            c.search_after = after
                            c.search_after_len = afterCount
                            c.include_data = options.includeData
                            c.include_matching_terms = options.matchingTerms
                            c.matching_terms_hits = UInt32(clamping: options.matchingTermsHits ?? 0)
                            c.value_slots = valueSlotsBuffer.baseAddress
                            c.value_slot_count = valueSlotsBuffer.count
                            c.spies = specsBuffer.baseAddress
                            c.spy_count = specsBuffer.count
                            return try withUnsafePointer(to: c) { try body($0) }
                        }
                    }
                }
            }
        }
    }
}

private func withOptionalBytes<R>(
    _ bytes: [UInt8]?, _ body: (UnsafePointer<CChar>?, Int) throws -> R
) rethrows -> R {
    guard let bytes else { return try body(nil, 0) }
    return try withBytes(bytes, body)
}

// MARK: - Result to Swift

private func convertResult(_ result: OpaquePointer, _ options: XapianSearchOptions) -> XapianSearchResult {
    var info = cxapian_result_info()
    cxapian_result_get_info(result, &info)

    var hits: [XapianSearchResult.Hit] = []
    hits.reserveCapacity(info.hit_count)
    for i in 0..<info.hit_count {
        let h = info.hits[i]
        var values: [[UInt8]] = []
        if !options.valueSlots.isEmpty {
            values.reserveCapacity(options.valueSlots.count)
            MultiValue.forEach(in: UnsafeRawBufferPointer(start: h.values, count: h.values_len)) {
                values.append([UInt8]($0))
            }
        }
        var terms: [String] = []
        if options.matchingTerms {
            MultiValue.forEach(
                in: UnsafeRawBufferPointer(start: h.matching_terms, count: h.matching_terms_len)
            ) { terms.append(String(decoding: $0, as: UTF8.self)) }
        }
        hits.append(
            XapianSearchResult.Hit(
                docid: h.docid,
                rank: Int(h.rank),
                weight: h.weight,
                data: copyBytes(h.data, h.data_len),
                values: values,
                sortKey: copyBytes(h.sort_key, h.sort_key_len),
                matchingTerms: terms))
    }

    var spyResults: [XapianSpyResult] = []
    spyResults.reserveCapacity(options.spies.count)
    for (index, spy) in options.spies.enumerated() {
        switch spy {
        case .valueCount, .multiValueCount:
            var count = 0
            let entries = cxapian_result_spy_entries(result, index, &count)
            var counts: [XapianFacetCount] = []
            counts.reserveCapacity(count)
            for j in 0..<count {
                let e = entries![j]
                counts.append(XapianFacetCount(value: copyBytes(e.value, e.value_len), count: Int(e.count)))
            }
            spyResults.append(.valueCounts(counts))
        case .numericRanges(_, let ranges):
            var count = 0
            let entries = cxapian_result_spy_entries(result, index, &count)
            var counts = [Int](repeating: 0, count: ranges.count)
            for j in 0..<Swift.min(count, ranges.count) { counts[j] = Int(entries![j].count) }
            spyResults.append(.rangeCounts(counts))
        case .collect(let slots):
            var length = 0
            var documents: UInt64 = 0
            let buffer = cxapian_result_spy_buffer(result, index, &length, &documents)
            spyResults.append(
                .collected(
                    XapianCollectedValues(
                        slots: slots, documentCount: Int(documents), bytes: copyBytes(buffer, length))))
        }
    }

    return XapianSearchResult(
        hits: hits,
        matchesLowerBound: Int(info.matches_lower_bound),
        matchesEstimated: Int(info.matches_estimated),
        matchesUpperBound: Int(info.matches_upper_bound),
        skippedBySearchAfter: Int(info.skipped_by_search_after),
        spyResults: spyResults)
}

extension XapianError {
    /// Errors a reader gets when a writer overwrote the revision it was reading.
    var isStaleRead: Bool { code == .databaseModified || code == .databaseCorrupt }
}
