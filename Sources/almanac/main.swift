import AlmanacAuth
import AlmanacCore
import AlmanacServer
import AlmanacApp
import AlmanacStore
import ArgumentParser
import Foundation
import Hummingbird
import Logging

@main
struct Almanac: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "almanac",
        abstract: "Catalogue and timeline search service.",
        subcommands: [Serve.self, Client.self, Import.self, Reindex.self, Check.self, Backup.self])
}

struct DataOptions: ParsableArguments {
    @Option(name: .long, help: "Data directory.")
    var data: String = "./data"

    func configuration(configFile: String? = nil) throws -> AlmanacConfiguration {
        var c = AlmanacConfiguration()
        if let configFile { try c.apply(configFile: configFile) }
        c.dataDirectory = data
        return c
    }

    func openStore() throws -> Store {
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        return try Store(path: data + "/almanac.sqlite3")
    }
}

/// `--product-shards N` (serve, import, reindex): how many shard databases the product
/// index has. Without it, the index's own count (one per core for a new index); another
/// count than the index's is refused, except by `reindex products`, which rebuilds with it.
struct ProductShardsOption: ParsableArguments {
    @Option(name: .customLong("product-shards"), help: "Shard databases of the product index (default: the index's, or one per core).")
    var productShards: Int?

    func validate() throws {
        if let productShards, !(1...256).contains(productShards) { throw ValidationError("--product-shards must be 1...256") }
    }

    func apply(to c: inout AlmanacConfiguration) {
        if let productShards { c.index.productShards = productShards }
    }
}

func makeLogger(_ label: String) -> Logger {
    var logger = Logger(label: label)
    logger.logLevel = ProcessInfo.processInfo.environment["LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .info
    return logger
}

func printJSON(_ value: JSONValue) {
    print(JSONWriter.string(value))
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the HTTP service.")
    @OptionGroup var options: DataOptions
    @Option(help: "Address to listen on.") var host: String?
    @Option(help: "Port to listen on.") var port: Int?
    @Option(help: "Redis URL for the query cache.") var redis: String?
    @Flag(name: .customLong("no-cache"), help: "Run without Redis.") var noCache = false
    @Option(help: "JSON configuration file.") var config: String?
    @Option(name: .customLong("master-key-file"), help: "File holding the 32-byte master key.") var masterKeyFile: String?
    @OptionGroup var shards: ProductShardsOption

    func run() async throws {
        LoggingSystem.bootstrap { StderrLogHandler(label: $0) }
        var c = try options.configuration(configFile: config)
        shards.apply(to: &c)
        if let host { c.host = host }
        if let port { c.port = port }
        if let redis { c.redisURL = redis }
        if noCache { c.redisURL = nil }
        if let masterKeyFile { c.masterKeyFile = masterKeyFile }
        let logger = makeLogger("almanac")
        // The port opens at once; the services open behind it (`/ready` says what loads).
        let app = AlmanacApplication.make(startup: ServicesStartup(configuration: c, logger: logger))
        logger.info("almanac listening on http://\(c.host):\(c.port)")
        try await app.runService()
    }
}

struct Client: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage API clients.", subcommands: [Create.self, List.self, Revoke.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a client; prints its secret once.")
        @OptionGroup var options: DataOptions
        @Option(help: "Tenant (or * for a platform operator).") var tenant: String
        @Option(help: "A name for the client.") var name: String
        @Option(help: "Space-separated scopes.") var scopes: String

        func run() async throws {
            let store = try options.openStore()
            let created = try await ClientRegistry(store: store).create(tenant: tenant, name: name, scopes: try Scope.parse(scopes))
            printJSON([
                "client_id": .string(created.clientID), "client_secret": .string(created.clientSecret),
                "tenant": .string(created.tenant), "scopes": .array(created.scopes.map { .string($0.rawValue) }),
            ])
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List clients (never secrets).")
        @OptionGroup var options: DataOptions
        @Option(help: "Only this tenant.") var tenant: String?

        func run() async throws {
            let store = try options.openStore()
            for c in try await store.clients(tenant: tenant) {
                printJSON([
                    "client_id": .string(c.id), "tenant": .string(c.tenant), "name": .string(c.name),
                    "scopes": .array(c.scopes.map { .string($0) }), "created_at": .string(c.createdAt.rfc3339),
                    "revoked_at": c.revokedAt.map { .string($0.rfc3339) } ?? .null,
                ])
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revoke a client; its tokens stop working.",
            discussion: """
                The store is updated at once. A running server reloads its list of revoked clients
                when it is older than revocation_refresh_seconds (default 1 s), before answering
                the request that noticed, so the client's tokens are refused from then on.
                """)
        @OptionGroup var options: DataOptions
        @Option(help: "Only revoke when the client belongs to this tenant.") var tenant: String?
        @Argument(help: "Client id.") var clientID: String

        func run() async throws {
            let store = try options.openStore()
            guard try await store.revokeClient(id: clientID, tenant: tenant, at: .now()) else {
                throw ValidationError("no client \(clientID)" + (tenant.map { " in tenant \($0)" } ?? ""))
            }
            printJSON(["client_id": .string(clientID), "revoked": true])
        }
    }
}

struct Import: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Bulk-load products or events from NDJSON.")
    @OptionGroup var options: DataOptions
    @Argument(help: "products or events") var collection: String
    @Argument(help: "NDJSON file") var file: String
    @Option(help: "Tenant to load into.") var tenant: String
    @Flag(help: "No progress bar.") var quiet = false
    @OptionGroup var shards: ProductShardsOption

    func validate() throws {
        guard Importer.Collection(rawValue: collection) != nil else { throw ValidationError("collection must be products or events") }
        guard TenantName.isValid(tenant), tenant != "*" else { throw ValidationError(TenantName.rule) }
    }

    func run() async throws {
        let store = try options.openStore()
        var c = try options.configuration()
        shards.apply(to: &c)
        let logger = makeLogger("almanac.import")
        let importer = Importer(store: store, collection: Importer.Collection(rawValue: collection)!, tenant: tenant, progress: !quiet)
        // The indexes follow the store while the file is committed, and catch up at the end.
        let (report, durable, indexed) = try await Maintenance.indexing(c, store: store, logger: logger) {
            try await importer.run(path: file)
        }
        printJSON(report.json)
        if indexed {
            let seconds = (ContinuousClock.now - durable).inSeconds
            logger.info("indexed in \(String(format: "%.1f", seconds)) s after the last record was durable")
        } else {
            logger.info("the index is in use by a running server; it indexes the new records itself")
        }
    }
}

struct Reindex: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Rebuild an index from the store and swap it in.")
    @OptionGroup var options: DataOptions
    @Argument(help: "products or events") var collection: String
    @OptionGroup var shards: ProductShardsOption

    func run() async throws {
        let store = try options.openStore()
        var c = try options.configuration()
        shards.apply(to: &c)
        let logger = makeLogger("almanac.reindex")
        switch collection {
        case "products": _ = try Maintenance.reindexProducts(c, store: store, logger: logger)
        case "events": try Maintenance.reindexEvents(c, store: store, logger: logger)
        default: throw ValidationError("collection must be products or events")
        }
    }
}

struct Check: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compare store and index; non-zero exit on a difference.",
        discussion: "Without --deep: per-tenant counts and what each index has applied. With --deep also every record's content (its stored JSON against the index document's), naming the first differences.")
    @OptionGroup var options: DataOptions
    @Flag(help: "Compare every record's content, not only the counts.") var deep = false

    func run() async throws {
        let store = try options.openStore()
        let c = try options.configuration()
        let problems = deep ? try Maintenance.deepCheck(c, store: store) : try Maintenance.check(c, store: store)
        if problems.isEmpty {
            print("ok: store and indexes agree")
        } else {
            for p in problems { print(p) }
            throw ExitCode(1)
        }
    }
}

struct Backup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Consistent copy of store and indexes.")
    @OptionGroup var options: DataOptions
    @Option(help: "Target directory.") var to: String

    func run() async throws {
        let store = try options.openStore()
        try Maintenance.backup(try options.configuration(), store: store, to: to, logger: makeLogger("almanac.backup"))
        print("backed up to \(to)")
    }
}
