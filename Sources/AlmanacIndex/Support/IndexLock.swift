import AlmanacCore
import Foundation

/// The one way an index says "one writer": an exclusive advisory lock (`flock`) on a file
/// beside it, held by the writer until it closes (or the process ends). A second writer —
/// an offline `import`, `reindex` or `check` beside a running server — gets
/// `AlmanacError(.conflict)` naming the index, before it opens anything.
public final class IndexLock {
    private var fd: Int32

    public init(path: String, what: String) throws {
        fd = open(path, O_RDWR | O_CREAT, 0o644)
        guard fd >= 0 else { throw AlmanacError(.internalError, "cannot open lock file \(path): errno \(errno)") }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            close(fd)
            fd = -1
            throw AlmanacError(.conflict, "the \(what) is in use by another process (a running server?)")
        }
    }

    public func release() {
        guard fd >= 0 else { return }
        flock(fd, LOCK_UN)
        close(fd)
        fd = -1
    }

    deinit { release() }
}
