import Foundation

/// Latency samples (milliseconds) and their percentiles.
public struct Samples: Sendable {
    public private(set) var values: [Double] = []
    public init() {}

    public mutating func add(_ ms: Double) { values.append(ms) }

    public var count: Int { values.count }

    /// Nearest-rank percentile, p in 0...100.
    public func percentile(_ p: Double) -> Double {
        guard !values.isEmpty else { return .nan }
        let sorted = values.sorted()
        let rank = Int((p / 100 * Double(sorted.count)).rounded(.up))
        return sorted[Swift.min(Swift.max(rank - 1, 0), sorted.count - 1)]
    }

    public var p50: Double { percentile(50) }
    public var p99: Double { percentile(99) }
    public var mean: Double { values.isEmpty ? .nan : values.reduce(0, +) / Double(values.count) }
    public var max: Double { values.max() ?? .nan }
}

/// Times `body` in milliseconds.
@inline(__always)
public func timed<T>(_ body: () throws -> T) rethrows -> (T, Double) {
    let start = ContinuousClock.now
    let value = try body()
    return (value, (ContinuousClock.now - start).milliseconds)
}

@inline(__always)
public func timedAsync<T>(_ body: () async throws -> T) async rethrows -> (T, Double) {
    let start = ContinuousClock.now
    let value = try await body()
    return (value, (ContinuousClock.now - start).milliseconds)
}

/// The process's resident set: current and peak (kB), from /proc/self/status.
public func residentSetKB() -> (current: Int, peak: Int) {
    guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return (0, 0) }
    var current = 0, peak = 0
    for line in text.split(separator: "\n") {
        let parts = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard parts.count >= 2, let v = Int(parts[1]) else { continue }
        if parts[0] == "VmRSS:" { current = v }
        if parts[0] == "VmHWM:" { peak = v }
    }
    return (current, peak)
}

/// The machine, as docs/benchmarks.md reports it.
public func machineDescription() -> String {
    var model = "unknown CPU"
    if let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
        let line = text.split(separator: "\n").first(where: { $0.hasPrefix("model name") }),
        let colon = line.firstIndex(of: ":")
    {
        model = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
    }
    return "nproc \(ProcessInfo.processInfo.activeProcessorCount), \(model)"
}

public func fmt(_ x: Double, _ digits: Int = 3) -> String { String(format: "%.\(digits)f", x) }
