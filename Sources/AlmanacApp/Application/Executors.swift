import Foundation
public import NIOPosix

/// Where blocking work runs, by its kind, so that one kind never queues behind another: a
/// cache lookup never waits behind a 10 000-event indexer batch, a search never behind a
/// scrypt.
///
/// - `reads`: the request path's index reads (searches, gets, aggregations over a `q`),
///   one thread per reader handle, so every thread holds its own handle and none is
///   shared (`ReaderPool` checks them out exclusively).
/// - `cacheIO`: hiredis's blocking calls, one thread per pooled Redis connection; such a
///   call parks its thread for a network round trip, never a CPU.
/// - `batch`: work measured in milliseconds to minutes: indexer batches, imports,
///   reindexing, aggregations over the resident columns, scrypt, opening the store and
///   the indexes, scrape-time disk walks. Bounded to the core count.
public struct Executors: Sendable {
    public let reads: NIOThreadPool
    public let cacheIO: NIOThreadPool
    public let batch: NIOThreadPool
    /// The pools this value started (and so shuts down); empty for `shared`.
    let owned: [NIOThreadPool]

    /// One started pool per kind, sized for `configuration`.
    public static func start(for configuration: AlmanacConfiguration) -> Executors {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let reads = NIOThreadPool(numberOfThreads: max(2, configuration.index.readers))
        let cacheIO = NIOThreadPool(numberOfThreads: max(1, configuration.cacheConnections))
        let batch = NIOThreadPool(numberOfThreads: max(2, cores))
        for pool in [reads, cacheIO, batch] { pool.start() }
        return Executors(reads: reads, cacheIO: cacheIO, batch: batch, owned: [reads, cacheIO, batch])
    }

    /// Every kind on one pool the caller owns (tests, tools).
    public static func shared(_ pool: NIOThreadPool) -> Executors {
        Executors(reads: pool, cacheIO: pool, batch: pool, owned: [])
    }

    func shutdown() async {
        for pool in owned { try? await pool.shutdownGracefully() }
    }
}
