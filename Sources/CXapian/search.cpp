// cxapian_search: one Enquire run (paging, weighting, sorting, search-after, spies) whose
// results are copied into a cxapian_result.
#include "spies.hpp"

#include <cmath>
#include <limits>
#include <memory>
#include <vector>

using cxapian::guard;
using cxapian::need;

struct cxapian_result {
    std::string arena; // data, sort keys, values and terms of every hit
    std::vector<cxapian_hit> hits;
    std::vector<std::unique_ptr<cxapian::Spy>> spies;
    std::vector<std::vector<cxapian_facet_entry>> entries; // per spy
    uint32_t lower = 0, estimated = 0, upper = 0, skipped = 0;
};

namespace {

/// A MultiValueKeyMaker that remembers the last key it made, so the search-after decider
/// (which Xapian calls right after the sorter for the same document) compares exactly the
/// key the sorter used without building it twice.
class CachingKeyMaker final : public Xapian::KeyMaker {
    Xapian::MultiValueKeyMaker inner;
    bool caching = false;
    mutable bool has_last = false;
    mutable Xapian::docid last_docid = 0;
    mutable std::string last_key;

  public:
    void add(Xapian::valueno slot, bool reverse, bool missing_last) {
        // Reversed keys already put an empty value last; ascending ones need a default that
        // sorts above every real value (sortable_serialise output and UTF-8 never reach 0xff x 10).
        if (missing_last && !reverse) {
            inner.add_value(slot, reverse, std::string(10, '\xff'));
        } else {
            inner.add_value(slot, reverse);
        }
    }
    void enable_cache() { caching = true; }

    std::string operator()(const Xapian::Document &doc) const override {
        std::string key = inner(doc);
        if (caching) {
            last_key = key;
            last_docid = doc.get_docid();
            has_last = true;
        }
        return key;
    }

    const std::string &key_for(const Xapian::Document &doc) const {
        const Xapian::docid did = doc.get_docid();
        if (!has_last || did != last_docid) {
            last_key = inner(doc);
            last_docid = did;
            has_last = true;
        }
        return last_key;
    }
};

/// Accepts documents whose sort key is bytewise greater than `after`. It is also where the
/// spies run when a cursor is set, so facet counts cover every matching document rather
/// than only those after the cursor.
class SearchAfterDecider final : public Xapian::MatchDecider {
    const CachingKeyMaker &keys;
    std::string after;
    std::vector<Xapian::MatchSpy *> spies;

  public:
    mutable uint32_t denied = 0;

    SearchAfterDecider(const CachingKeyMaker &keys_, std::string after_,
                       std::vector<Xapian::MatchSpy *> spies_)
        : keys(keys_), after(std::move(after_)), spies(std::move(spies_)) {}

    bool operator()(const Xapian::Document &doc) const override {
        for (Xapian::MatchSpy *spy : spies) (*spy)(doc, 0.0);
        // std::string compares with char_traits<char>::compare, i.e. like memcmp.
        if (keys.key_for(doc) > after) return true;
        ++denied;
        return false;
    }
};

struct HitOffsets {
    size_t data, data_len, key, key_len, values, values_len, terms, terms_len;
};

/// BM25 whose every term's part of a score is a multiple of 2^-24, so a document's score
/// (a sum of parts) is exact and does not depend on the order the parts are added in.
///
/// Xapian adds a query's parts in the order of a postlist tree it builds per database from
/// that database's term frequencies, so with a sharded index one product's score could
/// differ in its last bits from what one database gives (measured: two products at
/// 222.0247 swapped places between S=1 and S=3). The parts themselves use the combined
/// statistics and are equal; on a grid of 2^-24 (far below the 4 decimals a score is shown
/// with) any sum of them below 2^29 is representable, so every order gives the same bits.
/// Bounds round up so the matcher's pruning stays sound.
class ShardStableBM25 final : public Xapian::BM25Weight {
    double k1_, k2_, k3_, b_, min_normlen_;

    static constexpr double grid = 16777216.0; // 2^24
    static double nearest(double w) { return std::nearbyint(w * grid) / grid; }
    static double above(double w) { return std::ceil(w * grid) / grid; }

  public:
    ShardStableBM25(double k1, double k2, double k3, double b, double min_normlen)
        : Xapian::BM25Weight(k1, k2, k3, b, min_normlen), k1_(k1), k2_(k2), k3_(k3), b_(b),
          min_normlen_(min_normlen) {}

    ShardStableBM25 *clone() const override { return new ShardStableBM25(k1_, k2_, k3_, b_, min_normlen_); }

    double get_sumpart(Xapian::termcount wdf, Xapian::termcount doclen,
                       Xapian::termcount uniqterms) const override {
        return nearest(Xapian::BM25Weight::get_sumpart(wdf, doclen, uniqterms));
    }
    double get_maxpart() const override { return above(Xapian::BM25Weight::get_maxpart()); }
    double get_sumextra(Xapian::termcount doclen, Xapian::termcount uniqterms) const override {
        return nearest(Xapian::BM25Weight::get_sumextra(doclen, uniqterms));
    }
    double get_maxextra() const override { return above(Xapian::BM25Weight::get_maxextra()); }
};

size_t append(std::string &arena, const std::string &s) {
    const size_t offset = arena.size();
    arena.append(s);
    return offset;
}

cxapian_result *run_search(const cxapian_database &db, const cxapian_query &query,
                           const cxapian_search_options &o) {
    auto result = std::make_unique<cxapian_result>();
    if (o.spy_count > 0 && o.spies == nullptr) throw Xapian::InvalidArgumentError("NULL spy list");
    for (size_t i = 0; i < o.spy_count; ++i) result->spies.push_back(cxapian::Spy::make(o.spies[i]));

    // Xapian::Enquire refuses a Database without shards; it matches nothing.
    if (db.db.size() == 0) {
        result->entries.resize(result->spies.size());
        for (size_t i = 0; i < result->spies.size(); ++i) {
            result->spies[i]->export_entries(result->entries[i]);
        }
        return result.release();
    }

    // Declared before the Enquire, which keeps a (non-owning) pointer to it.
    CachingKeyMaker keys;
    Xapian::Enquire enquire(db.db);
    if (o.weighting == CXAPIAN_WEIGHTING_BOOL) {
        // Xapian 1.4.22 (Debian 12) bug: an unweighted lone term (a term query, or
        // FILTER(term, ...), under BoolWeight) with check_at_least over the matches throws
        // "DatabaseCorruptError: Unexpected end of posting list" once documents have been
        // deleted from that term's posting list; the index itself is sound (xapian-check).
        // Found by fuzzing the HTTP API; reproduced with Xapian's own Python bindings.
        // Filtering MatchAll by the query gives the same matches by another path. MatchAll
        // is built here, not copied from the static Query::MatchAll: reference counts are
        // not atomic, and searches run on several threads at once.
        enquire.set_query(Xapian::Query(Xapian::Query::OP_FILTER, Xapian::Query(std::string()), query.query));
    } else {
        enquire.set_query(query.query);
    }
    switch (o.weighting) {
    // BM25Weight()'s defaults: k1 1, k2 0, k3 1, b 0.5, min_normlen 0.5.
    case CXAPIAN_WEIGHTING_BM25: enquire.set_weighting_scheme(ShardStableBM25(1, 0, 1, 0.5, 0.5)); break;
    case CXAPIAN_WEIGHTING_BOOL: enquire.set_weighting_scheme(Xapian::BoolWeight()); break;
    case CXAPIAN_WEIGHTING_BM25_PARAMETERS:
        if (!(o.bm25_k1 >= 0) || !(o.bm25_b >= 0 && o.bm25_b <= 1)) {
            throw Xapian::InvalidArgumentError("BM25 needs k1 >= 0 and 0 <= b <= 1");
        }
        enquire.set_weighting_scheme(ShardStableBM25(o.bm25_k1, 0, 1, o.bm25_b, 0.5));
        break;
    default: throw Xapian::InvalidArgumentError("unknown weighting scheme");
    }
    enquire.set_docid_order(Xapian::Enquire::ASCENDING);

    if (o.sort != CXAPIAN_SORT_RELEVANCE) {
        if (o.sort_key_count == 0 || o.sort_keys == nullptr) {
            throw Xapian::InvalidArgumentError("sorting by keys needs at least one sort key");
        }
        for (size_t i = 0; i < o.sort_key_count; ++i) {
            keys.add(o.sort_keys[i].slot, o.sort_keys[i].reverse, o.sort_keys[i].missing_last);
        }
    }
    switch (o.sort) {
    case CXAPIAN_SORT_RELEVANCE: enquire.set_sort_by_relevance(); break;
    case CXAPIAN_SORT_RELEVANCE_THEN_KEYS: enquire.set_sort_by_relevance_then_key(&keys, false); break;
    case CXAPIAN_SORT_KEYS: enquire.set_sort_by_key(&keys, false); break;
    case CXAPIAN_SORT_KEYS_THEN_RELEVANCE: enquire.set_sort_by_key_then_relevance(&keys, false); break;
    default: throw Xapian::InvalidArgumentError("unknown sort mode");
    }

    std::vector<Xapian::MatchSpy *> spy_pointers;
    for (const auto &spy : result->spies) spy_pointers.push_back(spy.get());

    std::unique_ptr<SearchAfterDecider> decider;
    if (o.has_search_after) {
        if (o.sort != CXAPIAN_SORT_KEYS) {
            throw Xapian::InvalidArgumentError("search_after needs CXAPIAN_SORT_KEYS");
        }
        keys.enable_cache();
        decider = std::make_unique<SearchAfterDecider>(
            keys, cxapian::str(o.search_after, o.search_after_len), spy_pointers);
    } else {
        for (Xapian::MatchSpy *spy : spy_pointers) enquire.add_matchspy(spy);
    }

    if (o.value_slot_count > 0 && o.value_slots == nullptr) {
        throw Xapian::InvalidArgumentError("NULL value slot list");
    }

    const uint32_t max_u32 = std::numeric_limits<uint32_t>::max();
    const uint32_t first = o.first;
    const uint32_t max_items = o.max_items > max_u32 - first ? max_u32 - first : o.max_items;
    const uint32_t check_at_least =
        o.check_at_least < first + max_items ? first + max_items : o.check_at_least;

    Xapian::MSet mset = enquire.get_mset(first, max_items, check_at_least, nullptr, decider.get());
    result->lower = mset.get_matches_lower_bound();
    result->estimated = mset.get_matches_estimated();
    result->upper = mset.get_matches_upper_bound();
    result->skipped = decider ? decider->denied : 0;

    const bool need_document = o.include_data || o.value_slot_count > 0;
    if (o.include_data && !mset.empty()) mset.fetch(mset.begin(), mset.end());

    std::string &arena = result->arena;
    std::vector<HitOffsets> offsets;
    offsets.reserve(mset.size());
    result->hits.reserve(mset.size());
    std::string scratch;
    for (Xapian::MSetIterator it = mset.begin(); it != mset.end(); ++it) {
        cxapian_hit hit{};
        HitOffsets off{};
        hit.docid = *it;
        hit.rank = it.get_rank();
        hit.weight = it.get_weight();

        const std::string key = it.get_sort_key();
        off.key = append(arena, key);
        off.key_len = key.size();

        if (need_document) {
            const Xapian::Document doc = it.get_document();
            if (o.include_data) {
                const std::string data = doc.get_data();
                off.data = append(arena, data);
                off.data_len = data.size();
            }
            off.values = arena.size();
            for (size_t i = 0; i < o.value_slot_count; ++i) {
                cxapian::append_varint_entry(arena, doc.get_value(o.value_slots[i]));
            }
            off.values_len = arena.size() - off.values;
        }

        if (o.include_matching_terms &&
            (o.matching_terms_hits == 0 || result->hits.size() < o.matching_terms_hits)) {
            off.terms = arena.size();
            const auto end = enquire.get_matching_terms_end(it);
            for (auto t = enquire.get_matching_terms_begin(it); t != end; ++t) {
                cxapian::append_varint_entry(arena, *t);
            }
            off.terms_len = arena.size() - off.terms;
        }

        result->hits.push_back(hit);
        offsets.push_back(off);
    }

    // The arena no longer grows: turn offsets into pointers.
    const char *base = arena.data();
    for (size_t i = 0; i < result->hits.size(); ++i) {
        cxapian_hit &hit = result->hits[i];
        const HitOffsets &off = offsets[i];
        hit.data = base + off.data;
        hit.data_len = off.data_len;
        hit.sort_key = base + off.key;
        hit.sort_key_len = off.key_len;
        hit.values = base + off.values;
        hit.values_len = off.values_len;
        hit.matching_terms = base + off.terms;
        hit.matching_terms_len = off.terms_len;
    }

    result->entries.resize(result->spies.size());
    for (size_t i = 0; i < result->spies.size(); ++i) {
        result->spies[i]->export_entries(result->entries[i]);
    }
    return result.release();
}

} // namespace

extern "C" {

cxapian_result *cxapian_search(const cxapian_database *db, const cxapian_query *query,
                               const cxapian_search_options *options, cxapian_error *err) {
    return guard(err, static_cast<cxapian_result *>(nullptr), [&] {
        if (options == nullptr) throw Xapian::InvalidArgumentError("NULL search options");
        return run_search(need(db, "database"), need(query, "query"), *options);
    });
}

void cxapian_result_free(cxapian_result *result) {
    try {
        delete result;
    } catch (...) {
    }
}

void cxapian_result_get_info(const cxapian_result *result, cxapian_result_info *out) {
    if (out == nullptr) return;
    *out = cxapian_result_info{};
    if (result == nullptr) return;
    out->matches_lower_bound = result->lower;
    out->matches_estimated = result->estimated;
    out->matches_upper_bound = result->upper;
    out->skipped_by_search_after = result->skipped;
    out->hits = result->hits.data();
    out->hit_count = result->hits.size();
    out->spy_count = result->spies.size();
}

const cxapian_facet_entry *cxapian_result_spy_entries(const cxapian_result *result, size_t index,
                                                      size_t *count) {
    if (count) *count = 0;
    if (result == nullptr || index >= result->entries.size()) return nullptr;
    const std::vector<cxapian_facet_entry> &entries = result->entries[index];
    if (entries.empty()) return nullptr;
    if (count) *count = entries.size();
    return entries.data();
}

const char *cxapian_result_spy_buffer(const cxapian_result *result, size_t index, size_t *len,
                                      uint64_t *documents) {
    if (len) *len = 0;
    if (documents) *documents = 0;
    if (result == nullptr || index >= result->spies.size()) return nullptr;
    try {
        uint64_t docs = 0;
        const std::string *buffer = result->spies[index]->buffer(docs);
        if (buffer == nullptr) return nullptr;
        if (len) *len = buffer->size();
        if (documents) *documents = docs;
        return buffer->data();
    } catch (...) {
        return nullptr;
    }
}

} // extern "C"
