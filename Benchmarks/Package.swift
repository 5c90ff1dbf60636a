// swift-tools-version:6.1
// Benchmarks for Almanac, kept out of the root package so `swift test` never builds them.
// Run from this directory: `swift package benchmark` (package-benchmark), or the
// whole-corpus tool `swift run -c release catalogue-bench` (see ../bench/catalogue.sh).
import PackageDescription

let package = Package(
    name: "AlmanacBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "almanac", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
    ],
    targets: [
        // Corpus loading, index builders (Almanac and raw Xapian), query sets, statistics.
        .target(
            name: "BenchSupport",
            dependencies: [
                .product(name: "AlmanacCore", package: "almanac"),
                .product(name: "AlmanacIndex", package: "almanac"),
                .product(name: "AlmanacStore", package: "almanac"),
                .product(name: "AlmanacApp", package: "almanac"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Sources/BenchSupport"
        ),
        // Whole-corpus figures (import throughput, search percentiles over the 1000 queries,
        // raw-Xapian baselines in the same run); `bench/catalogue.sh` drives it.
        .executableTarget(
            name: "catalogue-bench",
            dependencies: [
                "BenchSupport",
                .product(name: "AlmanacCore", package: "almanac"),
                .product(name: "AlmanacIndex", package: "almanac"),
            ],
            path: "Sources/catalogue-bench"
        ),
        // Issue 10: the known-item relevance benchmark (Almanac and raw Xapian; tantivy runs
        // beside it in Python); `bench/relevance.sh` drives it.
        .executableTarget(
            name: "relevance-bench",
            dependencies: [
                "BenchSupport",
                .product(name: "AlmanacCore", package: "almanac"),
                .product(name: "AlmanacIndex", package: "almanac"),
            ],
            path: "Sources/relevance-bench"
        ),
        // Issue 4: whole-history timeline figures (ingest, search, aggregations) with their
        // baselines; `bench/timeline.sh` drives it.
        .executableTarget(
            name: "timeline-bench",
            dependencies: [
                .product(name: "AlmanacCore", package: "almanac"),
                .product(name: "AlmanacIndex", package: "almanac"),
                .product(name: "AlmanacStore", package: "almanac"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Sources/timeline-bench"
        ),
        // The bare-HTTP baseline for bench/http.sh: a Hummingbird 2 route returning a constant.
        .executableTarget(
            name: "bare-http",
            dependencies: [.product(name: "Hummingbird", package: "hummingbird")],
            path: "Sources/bare-http"
        ),
        // Issue 2: the uncached search path and the write path on the 2k-product fixture.
        .executableTarget(
            name: "SkeletonBenchmarks",
            dependencies: [
                "BenchSupport",
                .product(name: "AlmanacCore", package: "almanac"),
                .product(name: "AlmanacIndex", package: "almanac"),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/SkeletonBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        // Issue 3: the 63k-product corpus, 1000 queries, raw Xapian beside Almanac.
        .executableTarget(
            name: "CatalogueBenchmarks",
            dependencies: [
                "BenchSupport",
                .product(name: "AlmanacCore", package: "almanac"),
                .product(name: "AlmanacIndex", package: "almanac"),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/CatalogueBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
