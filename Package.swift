// swift-tools-version:6.1
import PackageDescription

// As Hummingbird 2 does: imports are internal unless a file says `public import`, and a
// file sees the members of only the modules it imports, so the compiler keeps every
// file's imports, and so the package's dependency lists, honest.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "almanac",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "almanac", targets: ["almanac"]),
        .library(name: "AlmanacCore", targets: ["AlmanacCore"]),
        .library(name: "AlmanacIndex", targets: ["AlmanacIndex"]),
        .library(name: "AlmanacStore", targets: ["AlmanacStore"]),
        .library(name: "AlmanacAuth", targets: ["AlmanacAuth"]),
        .library(name: "AlmanacCache", targets: ["AlmanacCache"]),
        .library(name: "AlmanacApp", targets: ["AlmanacApp"]),
        .library(name: "AlmanacServer", targets: ["AlmanacServer"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.34.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
    ],
    targets: [
        // Native bridges: internal targets, never products.
        .target(
            name: "CXapian",
            linkerSettings: [.linkedLibrary("xapian")]
        ),
        .systemLibrary(name: "CHiredis", pkgConfig: "hiredis", providers: [.apt(["libhiredis-dev"])]),
        .systemLibrary(name: "COpenSSL", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),

        .target(name: "AlmanacCore", swiftSettings: swiftSettings),
        .target(
            name: "AlmanacStore",
            dependencies: [
                "AlmanacCore",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "AlmanacIndex",
            dependencies: [
                "AlmanacCore", "CXapian",
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "AlmanacCache",
            dependencies: [
                "AlmanacCore", "CHiredis",
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "AlmanacAuth",
            dependencies: [
                "AlmanacCore", "AlmanacStore", "COpenSSL",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // The application layer: catalogue and timeline as two peers of one shape (writes,
        // cached queries, projection into the index), between the HTTP edge and the engines.
        .target(
            name: "AlmanacApp",
            dependencies: [
                "AlmanacCore", "AlmanacStore", "AlmanacIndex", "AlmanacCache", "AlmanacAuth",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "AlmanacServer",
            dependencies: [
                "AlmanacApp", "AlmanacCore", "AlmanacStore", "AlmanacIndex", "AlmanacCache", "AlmanacAuth",
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            // The OpenAPI document served at /openapi.json, byte for byte, and the console's
            // static files served under /console (ConsoleRoutes).
            resources: [.copy("Resources/openapi.json"), .copy("Resources/console")],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "almanac",
            dependencies: [
                "AlmanacApp", "AlmanacAuth", "AlmanacCore", "AlmanacServer", "AlmanacStore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),

        .testTarget(name: "AlmanacCoreTests", dependencies: ["AlmanacCore", "AlmanacTestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "AlmanacIndexTests", dependencies: ["AlmanacCore", "AlmanacIndex", "AlmanacTestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "AlmanacAuthTests", dependencies: ["AlmanacAuth", "AlmanacCore", "AlmanacTestSupport"], swiftSettings: swiftSettings),
        // Test helpers shared by test targets (a private redis-server, child processes, PyJWT,
        // a seeded random generator).
        .target(name: "AlmanacTestSupport", path: "Tests/AlmanacTestSupport", swiftSettings: swiftSettings),
        .testTarget(
            name: "AlmanacCacheTests",
            dependencies: [
                "AlmanacCache", "AlmanacTestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "AlmanacServerTests",
            dependencies: [
                "AlmanacApp", "AlmanacAuth", "AlmanacCore", "AlmanacIndex", "AlmanacServer", "AlmanacStore", "AlmanacTestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
    ],
    cxxLanguageStandard: .cxx17
)
