// Query construction.
#include "internal.hpp"

#include <vector>

using cxapian::guard;
using cxapian::need;
using cxapian::str;

namespace {

Xapian::Query::op to_xapian(cxapian_query_op op) {
    switch (op) {
    case CXAPIAN_OP_AND: return Xapian::Query::OP_AND;
    case CXAPIAN_OP_OR: return Xapian::Query::OP_OR;
    case CXAPIAN_OP_AND_NOT: return Xapian::Query::OP_AND_NOT;
    case CXAPIAN_OP_XOR: return Xapian::Query::OP_XOR;
    case CXAPIAN_OP_AND_MAYBE: return Xapian::Query::OP_AND_MAYBE;
    case CXAPIAN_OP_FILTER: return Xapian::Query::OP_FILTER;
    case CXAPIAN_OP_NEAR: return Xapian::Query::OP_NEAR;
    case CXAPIAN_OP_PHRASE: return Xapian::Query::OP_PHRASE;
    case CXAPIAN_OP_ELITE_SET: return Xapian::Query::OP_ELITE_SET;
    case CXAPIAN_OP_SYNONYM: return Xapian::Query::OP_SYNONYM;
    case CXAPIAN_OP_MAX: return Xapian::Query::OP_MAX;
    }
    throw Xapian::InvalidArgumentError("unknown query operator");
}

template <typename F>
cxapian_query *make(cxapian_error *err, F &&fn) noexcept {
    return guard(err, static_cast<cxapian_query *>(nullptr),
                 [&] { return new cxapian_query{fn()}; });
}

} // namespace

extern "C" {

void cxapian_query_free(cxapian_query *query) {
    try {
        delete query;
    } catch (...) {
    }
}

cxapian_query *cxapian_query_match_all(cxapian_error *err) {
    // A fresh Query rather than a copy of the static Query::MatchAll: Xapian's query
    // reference counts are not atomic, so copying one shared object from several threads
    // races (it crashed the test suite once: a use after free inside libxapian).
    return make(err, [] { return Xapian::Query(std::string()); });
}

cxapian_query *cxapian_query_match_nothing(cxapian_error *err) {
    return make(err, [] { return Xapian::Query::MatchNothing; });
}

cxapian_query *cxapian_query_term(const char *term, size_t term_len, uint32_t wqf,
                                  uint32_t position, cxapian_error *err) {
    return make(err, [&] { return Xapian::Query(str(term, term_len), wqf, position); });
}

cxapian_query *cxapian_query_combine(cxapian_query_op op, const cxapian_query *const *subqueries,
                                     size_t count, uint32_t parameter, cxapian_error *err) {
    return make(err, [&] {
        const Xapian::Query::op xop = to_xapian(op);
        if (count > 0 && subqueries == nullptr) {
            throw Xapian::InvalidArgumentError("NULL subquery list");
        }
        std::vector<Xapian::Query> subs;
        subs.reserve(count);
        for (size_t i = 0; i < count; ++i) subs.push_back(need(subqueries[i], "query").query);
        return Xapian::Query(xop, subs.begin(), subs.end(), parameter);
    });
}

cxapian_query *cxapian_query_scale_weight(const cxapian_query *query, double factor,
                                          cxapian_error *err) {
    return make(err, [&] {
        return Xapian::Query(Xapian::Query::OP_SCALE_WEIGHT, need(query, "query").query, factor);
    });
}

cxapian_query *cxapian_query_value_range(uint32_t slot, const char *low, size_t low_len,
                                         const char *high, size_t high_len,
                                         cxapian_error *err) {
    return make(err, [&] {
        return Xapian::Query(Xapian::Query::OP_VALUE_RANGE, slot, str(low, low_len),
                             str(high, high_len));
    });
}

cxapian_query *cxapian_query_value_ge(uint32_t slot, const char *low, size_t low_len,
                                      cxapian_error *err) {
    return make(err, [&] {
        return Xapian::Query(Xapian::Query::OP_VALUE_GE, slot, str(low, low_len));
    });
}

cxapian_query *cxapian_query_value_le(uint32_t slot, const char *high, size_t high_len,
                                      cxapian_error *err) {
    return make(err, [&] {
        return Xapian::Query(Xapian::Query::OP_VALUE_LE, slot, str(high, high_len));
    });
}

cxapian_query *cxapian_query_wildcard(const char *prefix, size_t prefix_len,
                                      uint32_t max_expansion, cxapian_wildcard_limit limit,
                                      cxapian_query_op combiner, cxapian_error *err) {
    return make(err, [&] {
        int max_type;
        switch (limit) {
        case CXAPIAN_WILDCARD_LIMIT_ERROR: max_type = Xapian::Query::WILDCARD_LIMIT_ERROR; break;
        case CXAPIAN_WILDCARD_LIMIT_FIRST: max_type = Xapian::Query::WILDCARD_LIMIT_FIRST; break;
        case CXAPIAN_WILDCARD_LIMIT_MOST_FREQUENT:
            max_type = Xapian::Query::WILDCARD_LIMIT_MOST_FREQUENT;
            break;
        default: throw Xapian::InvalidArgumentError("unknown wildcard limit mode");
        }
        // Xapian 1.4 treats max_expansion 0 as "unlimited" except with
        // WILDCARD_LIMIT_MOST_FREQUENT, where it keeps the 0 most frequent terms, i.e.
        // matches nothing. Make 0 mean unlimited for every mode.
        if (max_expansion == 0) max_type = Xapian::Query::WILDCARD_LIMIT_ERROR;
        if (combiner != CXAPIAN_OP_SYNONYM && combiner != CXAPIAN_OP_OR &&
            combiner != CXAPIAN_OP_MAX) {
            throw Xapian::InvalidArgumentError("wildcard combiner must be SYNONYM, OR or MAX");
        }
        return Xapian::Query(Xapian::Query::OP_WILDCARD, str(prefix, prefix_len), max_expansion,
                             max_type, to_xapian(combiner));
    });
}

char *cxapian_query_description(const cxapian_query *query, size_t *out_len,
                                cxapian_error *err) {
    return guard(err, static_cast<char *>(nullptr), [&] {
        return cxapian::malloc_copy(need(query, "query").query.get_description(), out_len);
    });
}

} // extern "C"
