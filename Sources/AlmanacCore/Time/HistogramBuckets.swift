/// The buckets of a date histogram over `[from, to)`: every bucket that overlaps the range,
/// aligned to the interval in the given zone (see `HistogramInterval`).
///
/// A boundary is an instant where the local clock reads a multiple of the unit, or an
/// offset change that moves the local clock into another bucket (a spring-forward gap over
/// local midnight starts the day where the gap ends). So a daylight-saving day has 23 or 25
/// hours, and the hour repeated in autumn is two hourly buckets with distinct UTC keys.
public struct HistogramBuckets: Sendable, Equatable {
    /// Bucket starts in microseconds, then the end of the last bucket (`count + 1` entries).
    public let edges: [Int64]
    /// Set when every bucket has the same length: `index(of:)` is then a division.
    let uniformWidth: Int64?

    public var count: Int { edges.count - 1 }

    /// - Throws: a 400 when the range needs more than `maxBuckets` buckets.
    public init(
        interval: HistogramInterval, zone: ZoneSchedule, from: Int64, to: Int64, maxBuckets: Int = 10_000
    ) throws(AlmanacError) {
        precondition(from < to)
        let tooMany = { (n: Int64) in
            AlmanacError(.invalidParameter,
                "date_histogram: \(interval) buckets over this range would be \(n == Int64.max ? "too many" : "at least \(n)"), more than the limit of \(maxBuckets); widen the interval or narrow from/to")
        }
        // Cheap estimate first, so an absurd request never generates edges.
        let span = (to - from) / 1_000_000
        let estimate = span / interval.nominalSeconds
        if estimate > Int64(maxBuckets) + 2 { throw tooMany(estimate) }

        let fromSecond = floorDiv(from, 1_000_000)
        var edges: [Int64] = []
        edges.reserveCapacity(Int(min(estimate + 3, Int64(maxBuckets) + 2)))
        var current = Self.bucketStart(containing: fromSecond, interval, zone)
        edges.append(current * 1_000_000)
        while current * 1_000_000 < to {
            current = Self.nextBoundary(after: current, interval, zone)
            edges.append(current * 1_000_000)
            if edges.count - 1 > maxBuckets { throw tooMany(Int64(edges.count - 1)) }
        }
        self.edges = edges
        var width: Int64? = edges.count >= 2 ? edges[1] - edges[0] : nil
        if let w = width {
            for i in 1..<edges.count where edges[i] - edges[i - 1] != w {
                width = nil
                break
            }
        }
        uniformWidth = width
    }

    /// The bucket holding `t` (microseconds), or nil outside the edges.
    @inline(__always)
    public func index(of t: Int64) -> Int? {
        guard t >= edges[0], t < edges[edges.count - 1] else { return nil }
        if let w = uniformWidth { return Int((t - edges[0]) / w) }
        // Nearly uniform (DST days, months): interpolate, then step to the bucket.
        let last = edges.count - 2
        var i = Int(Double(t - edges[0]) / Double(edges[edges.count - 1] - edges[0]) * Double(edges.count - 1))
        i = min(max(i, 0), last)
        var steps = 0
        while steps < 8 {
            if t < edges[i] {
                i -= 1
            } else if t >= edges[i + 1] {
                i += 1
            } else {
                return i
            }
            steps += 1
        }
        var lo = 0
        var hi = edges.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if edges[mid] <= t { lo = mid } else { hi = mid - 1 }
        }
        return lo
    }

    // MARK: - Boundaries (in seconds)

    /// Whether the offset change at `transition` starts a bucket: the local clock lands on
    /// a boundary, or in another bucket than the one it left.
    static func isBoundary(transition: Int64, _ interval: HistogramInterval, _ zone: ZoneSchedule) -> Bool {
        let after = transition + zone.offset(at: transition)
        let before = transition - 1 + zone.offset(at: transition - 1)
        let label = interval.label(ofLocal: after)
        return interval.start(ofLabel: label) == after || label != interval.label(ofLocal: before)
    }

    /// The first boundary strictly after `second`.
    static func nextBoundary(after second: Int64, _ interval: HistogramInterval, _ zone: ZoneSchedule) -> Int64 {
        var cursor = second
        while true {
            let offset = zone.offset(at: cursor)
            let local = cursor + offset
            let aligned = interval.start(ofLabel: interval.label(ofLocal: local) + 1) - offset
            guard let transition = zone.nextTransition(after: cursor), transition <= aligned else { return aligned }
            if isBoundary(transition: transition, interval, zone) { return transition }
            cursor = transition
        }
    }

    /// The last boundary at or before `second`.
    static func bucketStart(containing second: Int64, _ interval: HistogramInterval, _ zone: ZoneSchedule) -> Int64 {
        var point = second
        while true {
            let offset = zone.offset(at: point)
            let candidate = interval.start(ofLabel: interval.label(ofLocal: point + offset)) - offset
            // Under the offset in force at `point`, `candidate` is the aligned instant; it
            // holds if no offset change lies in (candidate, point].
            guard let transition = zone.lastTransition(atOrBefore: point), transition > candidate else { return candidate }
            if isBoundary(transition: transition, interval, zone) { return transition }
            point = transition - 1
        }
    }
}
