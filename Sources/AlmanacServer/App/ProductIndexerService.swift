import AlmanacCore
import AlmanacIndex
import AlmanacStore
import Logging
import NIOPosix
import ServiceLifecycle

/// Projects the product change log into the Xapian product index: the only writer of that
/// database. Wakes on every committed write (and on a timer), applies changes in batches
/// on the blocking thread pool, commits `last_seq` with the documents, then publishes the
/// new revision to readers. On graceful shutdown it finishes the batch in hand and stops.
public final class ProductIndexerService: Service, Sendable {
    /// `@unchecked Sendable`: the writer is only touched inside `threadPool.runIfActive`
    /// blocks that this service awaits one at a time from its single `run()` task.
    final class WriterBox: @unchecked Sendable {
        let writer: ProductIndexWriter
        init(_ writer: ProductIndexWriter) { self.writer = writer }
    }

    let box: WriterBox
    let store: Store
    let readers: ReaderPool
    let watermark: Watermark
    let tenants: TenantState
    let signal: WakeSignal
    let threadPool: NIOThreadPool
    let batchSize: Int
    let pollInterval: Duration
    let logger: Logger

    init(
        writer: ProductIndexWriter, store: Store, readers: ReaderPool, watermark: Watermark, tenants: TenantState,
        signal: WakeSignal, threadPool: NIOThreadPool, batchSize: Int, pollInterval: Duration, logger: Logger
    ) {
        box = WriterBox(writer)
        self.store = store
        self.readers = readers
        self.watermark = watermark
        self.tenants = tenants
        self.signal = signal
        self.threadPool = threadPool
        self.batchSize = batchSize
        self.pollInterval = pollInterval
        self.logger = logger
    }

    public func run() async throws {
        await withGracefulShutdownHandler {
            while !signal.isClosed {
                do {
                    let more = try await applyOneBatch()
                    if !more { await signal.wait(timeout: pollInterval) }
                } catch {
                    if !store.health.report(.productIndex, error, progress: { [watermark] in watermark.value }) { logger.error("product indexing failed; retrying", metadata: ["error": "\(error)"]) }
                    try? await Task.sleep(for: .seconds(1))
                }
            }
        } onGracefulShutdown: {
            self.signal.close()
        }
        try? await threadPool.runIfActive { [box] in try box.writer.close() }
    }

    /// Applies one batch; answers whether more changes may be waiting.
    @discardableResult
    func applyOneBatch() async throws -> Bool {
        let (box, store, tenants, batchSize) = (self.box, self.store, self.tenants, self.batchSize)
        let outcome = try await threadPool.runIfActive { () -> (Set<String>, Int64, Int, Bool) in
            let writer = box.writer
            let batch = try store.productChanges(after: writer.lastSeq, limit: batchSize)
            if batch.changes.isEmpty && batch.watermark == writer.lastSeq { return ([], writer.lastSeq, 0, false) }
            if batch.changes.isEmpty {
                // Nothing of ours: move the watermark in memory only (a restart re-reads nothing).
                writer.skip(to: batch.watermark)
                return ([], batch.watermark, 0, false)
            }
            let changes = batch.changes.map { ProductIndexChange(tenant: $0.tenant, id: $0.id, json: $0.body) }
            let touched = try writer.apply(changes, watermark: batch.watermark, settings: { tenants.settings($0) })
            return (touched, batch.watermark, changes.count, batch.changes.count == batchSize)
        }
        let (touched, seq, count, more) = outcome
        if count > 0 || seq > watermark.value {
            readers.publish()
            tenants.touch("products", tenants: touched, generation: seq)
            watermark.advance(to: seq)
        }
        return more
    }

    /// Applies everything committed so far (tests, import).
    public func catchUp() async throws {
        while try await applyOneBatch() {}
    }
}
