public import AlmanacCache
public import AlmanacCore
public import AlmanacStore
import Synchronization

/// Per-tenant state every request consults: search settings and cache generations.
///
/// A tenant's generation for a collection is the seq of the last indexed change that
/// touched it (or the watermark at start-up): cache keys carry it, so an index change makes
/// that tenant's old entries unreachable without deleting anything, and other tenants'
/// entries survive.
public final class TenantState: Sendable {
    struct State {
        var settings: [String: (SearchSettings, Int64)] = [:]
        var generations: [CacheCollection: [String: Int64]] = [:]
        var baseGeneration: [CacheCollection: Int64] = [:]
    }

    private let state = Mutex(State())

    public init() {}

    /// A fresh state with the store's settings (the offline commands).
    public static func loaded(from store: Store) throws -> TenantState {
        let state = TenantState()
        try state.load(from: store)
        return state
    }

    public func load(from store: Store) throws {
        let records = try store.allSettings()
        state.withLock { s in
            for record in records {
                if let value = try? JSONParser.parse(record.body),
                    let settings = try? SearchSettings(json: value, languages: SearchLanguages.all)
                {
                    s.settings[record.tenant] = (settings, record.generation)
                }
            }
        }
    }

    public func settings(_ tenant: String) -> SearchSettings {
        state.withLock { $0.settings[tenant]?.0 ?? .default }
    }

    public func settingsGeneration(_ tenant: String) -> Int64 {
        state.withLock { $0.settings[tenant]?.1 ?? 0 }
    }

    public func setSettings(_ tenant: String, _ settings: SearchSettings, generation: Int64) {
        state.withLock { $0.settings[tenant] = (settings, generation) }
    }

    public func setBaseGeneration(_ collection: CacheCollection, _ value: Int64) {
        state.withLock { $0.baseGeneration[collection] = value }
    }

    public func generation(_ collection: CacheCollection, tenant: String) -> Int64 {
        state.withLock { $0.generations[collection]?[tenant] ?? $0.baseGeneration[collection] ?? 0 }
    }

    public func touch(_ collection: CacheCollection, tenants: some Sequence<String>, generation: Int64) {
        state.withLock { s in
            for tenant in tenants { s.generations[collection, default: [:]][tenant] = generation }
        }
    }
}

/// Stemmer languages known to Xapian (filled at start-up; English is always there).
public enum SearchLanguages {
    private static let storage = Mutex<Set<String>>(["english", "none"])
    public static var all: Set<String> { storage.withLock { $0 } }
    public static func set(_ languages: some Sequence<String>) {
        storage.withLock { $0 = Set(languages).union(["none"]) }
    }
}
