/// Why a write could not reach the disk: the kinds of storage fault the service answers
/// with `507 Insufficient Storage` and reports in `/ready`.
public enum StorageFaultKind: String, Sendable, Hashable, CustomStringConvertible {
    /// The filesystem is full (`ENOSPC`, SQLite's `SQLITE_FULL`).
    case full
    /// The user's or project's disk quota is used up (`EDQUOT`).
    case quota
    /// The write failed at the device or filesystem (SQLite's `SQLITE_IOERR`, `EIO`).
    case io

    public var description: String {
        switch self {
        case .full: "no space left on the device"
        case .quota: "disk quota exceeded"
        case .io: "write I/O error"
        }
    }

    /// The `errno` values that mean a storage fault (Linux numbering).
    public init?(errno code: Int32) {
        switch code {
        case 28: self = .full  // ENOSPC
        case 122: self = .quota  // EDQUOT
        case 5: self = .io  // EIO
        default: return nil
        }
    }

    /// Recognises the text the C library gives those errors (`strerror`), as native
    /// libraries (Xapian) report them in their messages.
    public init?(message: String) {
        if message.contains("No space left on device") {
            self = .full
        } else if message.contains("Disk quota exceeded") {
            self = .quota
        } else {
            return nil
        }
    }
}

/// An error that knows whether it is a storage fault. Native error types (SQLite's, Xapian's)
/// conform in the module that wraps them, so the store and the HTTP edge can classify any
/// error without knowing those libraries.
public protocol StorageFaultDescribing: Error {
    var storageFaultKind: StorageFaultKind? { get }
}
