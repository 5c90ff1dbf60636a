/*
 * cxapian.h - a C API over Xapian 1.4 for Swift.
 *
 * Conventions
 * - Every symbol is prefixed `cxapian_` (types, functions) or `CXAPIAN_` (constants).
 * - Handles are opaque; each `*_new`/`*_open` has a matching `*_free` (NULL is ignored).
 *   Handles are not thread-safe: use one handle from one thread at a time.
 * - Strings and byte strings cross as (pointer, length) pairs and are binary safe.
 *   A NULL pointer is allowed when the length is 0.
 * - Fallible functions take a `cxapian_error *err` as their last argument. The caller
 *   zero-initialises it; on failure the function sets `err->code` to something other
 *   than CXAPIAN_OK (and returns 0 / NULL / false). The caller then releases the message
 *   with `cxapian_error_clear`. `err` may be NULL to ignore errors.
 *   No C++ exception ever leaves this API.
 * - Returned buffers (`char *` with an `out_len`) are allocated with malloc and must be
 *   released with `cxapian_free`. They are NUL-terminated for convenience, but may also
 *   contain NUL bytes: always use the length.
 * - Varint: unsigned LEB128 (7 bits per byte, least significant group first, high bit
 *   set on every byte but the last). A "varint list" is a sequence of entries, each a
 *   varint byte length followed by that many bytes.
 */
#ifndef CXAPIAN_H
#define CXAPIAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ handles */

typedef struct cxapian_database cxapian_database;
typedef struct cxapian_writable_database cxapian_writable_database;
typedef struct cxapian_document cxapian_document;
typedef struct cxapian_stem cxapian_stem;
typedef struct cxapian_query cxapian_query;
typedef struct cxapian_result cxapian_result;

/* ------------------------------------------------------------------ errors, memory */

typedef enum cxapian_error_code {
    CXAPIAN_OK = 0,
    /** DatabaseModifiedError: the revision being read was overwritten; reopen and retry. */
    CXAPIAN_ERR_DATABASE_MODIFIED = 1,
    /** DatabaseLockError: another writer holds the database. */
    CXAPIAN_ERR_DATABASE_LOCKED = 2,
    /** DatabaseOpeningError, DatabaseNotFoundError, DatabaseVersionError. */
    CXAPIAN_ERR_DATABASE_OPENING = 3,
    /** DatabaseCorruptError. */
    CXAPIAN_ERR_DATABASE_CORRUPT = 4,
    /** DatabaseClosedError: the handle was closed. */
    CXAPIAN_ERR_DATABASE_CLOSED = 5,
    /** DatabaseCreateError: the database could not be created (e.g. bad directory). */
    CXAPIAN_ERR_DATABASE_CREATE = 6,
    /** Any other DatabaseError (typically I/O). */
    CXAPIAN_ERR_DATABASE = 7,
    /** DocNotFoundError. */
    CXAPIAN_ERR_DOCUMENT_NOT_FOUND = 8,
    /** InvalidArgumentError, or an invalid argument detected by this layer. */
    CXAPIAN_ERR_INVALID_ARGUMENT = 9,
    /** InvalidOperationError. */
    CXAPIAN_ERR_INVALID_OPERATION = 10,
    /** WildcardError: a wildcard expanded to more terms than allowed. */
    CXAPIAN_ERR_WILDCARD = 11,
    /** UnimplementedError, FeatureUnavailableError. */
    CXAPIAN_ERR_UNIMPLEMENTED = 12,
    /** std::bad_alloc. */
    CXAPIAN_ERR_OUT_OF_MEMORY = 13,
    /** Anything else (other Xapian errors, std::exception, unknown exceptions). */
    CXAPIAN_ERR_OTHER = 14
} cxapian_error_code;

typedef struct cxapian_error {
    cxapian_error_code code;
    /** Static string naming the error class ("DatabaseLockError", "std::exception", ...).
     *  Never freed. NULL when code is CXAPIAN_OK. */
    const char *type;
    /** malloc'd, NUL-terminated message (may be NULL); release with cxapian_error_clear. */
    char *message;
    size_t message_len;
} cxapian_error;

/** Frees the message and resets the struct to CXAPIAN_OK. */
void cxapian_error_clear(cxapian_error *err);

/** Releases a buffer returned by this API. NULL is ignored. */
void cxapian_free(void *ptr);

/** Xapian's library version ("1.4.22"), static string. */
const char *cxapian_version_string(void);
int cxapian_version_major(void);

/* ------------------------------------------------------------------ shared callbacks */

/** Receives one term of an iteration. Return 0 to continue, anything else to stop. */
typedef int (*cxapian_term_callback)(void *context, const char *term, size_t term_len,
                                     uint32_t termfreq);

/* ------------------------------------------------------------------ read-only database */

/** Opens one database read-only. */
cxapian_database *cxapian_db_open(const char *path, size_t path_len, cxapian_error *err);
/** Opens several databases as one (Database::add_database); count may be 0 (empty db).
 *  Docids interleave: combined = (shard_docid - 1) * count + shard_index + 1. */
cxapian_database *cxapian_db_open_many(const char *const *paths, const size_t *path_lens,
                                       size_t count, cxapian_error *err);
void cxapian_db_free(cxapian_database *db);
/** Loads the newest committed revision. Returns true when a newer one was loaded. */
bool cxapian_db_reopen(cxapian_database *db, cxapian_error *err);
void cxapian_db_close(cxapian_database *db, cxapian_error *err);
uint32_t cxapian_db_doccount(const cxapian_database *db, cxapian_error *err);
uint32_t cxapian_db_lastdocid(const cxapian_database *db, cxapian_error *err);
uint32_t cxapian_db_termfreq(const cxapian_database *db, const char *term, size_t term_len,
                             cxapian_error *err);
/** Calls `callback` for every term starting with `prefix` (in byte order). */
void cxapian_db_allterms(const cxapian_database *db, const char *prefix, size_t prefix_len,
                         cxapian_term_callback callback, void *context, cxapian_error *err);
/** Returns the metadata value (empty when unset); release with cxapian_free. */
char *cxapian_db_get_metadata(const cxapian_database *db, const char *key, size_t key_len,
                              size_t *out_len, cxapian_error *err);
/** Document data by docid; CXAPIAN_ERR_DOCUMENT_NOT_FOUND if there is none. */
char *cxapian_db_get_data(const cxapian_database *db, uint32_t docid, size_t *out_len,
                          cxapian_error *err);
/** A value slot of a document by docid (empty when unset). */
char *cxapian_db_get_value(const cxapian_database *db, uint32_t docid, uint32_t slot,
                           size_t *out_len, cxapian_error *err);

/* ------------------------------------------------------------------ writable database */

enum {
    /** DB_CREATE_OR_OVERWRITE instead of DB_CREATE_OR_OPEN. */
    CXAPIAN_WDB_OVERWRITE = 1,
    /** DB_NO_SYNC: commit without fsync (bulk rebuilds; not crash safe). */
    CXAPIAN_WDB_NO_SYNC = 2
};

cxapian_writable_database *cxapian_wdb_open(const char *path, size_t path_len, int flags,
                                            cxapian_error *err);
/** Frees the handle. Like Xapian's destructor this commits pending changes and ignores
 *  errors doing so: call cxapian_wdb_close or cxapian_wdb_commit first to see them. */
void cxapian_wdb_free(cxapian_writable_database *db);
/** Commits pending changes and releases the lock. */
void cxapian_wdb_close(cxapian_writable_database *db, cxapian_error *err);
void cxapian_wdb_commit(cxapian_writable_database *db, cxapian_error *err);
uint32_t cxapian_wdb_add_document(cxapian_writable_database *db,
                                  const cxapian_document *doc, cxapian_error *err);
/** replace_document(unique_term, doc): replaces the first document indexed by the term and
 *  deletes the others, or adds the document if none. Returns its docid. */
uint32_t cxapian_wdb_replace_document(cxapian_writable_database *db, const char *unique_term,
                                      size_t term_len, const cxapian_document *doc,
                                      cxapian_error *err);
/** Deletes every document indexed by the term (no error when there is none). */
void cxapian_wdb_delete_document(cxapian_writable_database *db, const char *unique_term,
                                 size_t term_len, cxapian_error *err);
/** Sets a metadata entry (an empty value deletes it); committed with the next commit. */
void cxapian_wdb_set_metadata(cxapian_writable_database *db, const char *key, size_t key_len,
                              const char *value, size_t value_len, cxapian_error *err);
char *cxapian_wdb_get_metadata(const cxapian_writable_database *db, const char *key,
                               size_t key_len, size_t *out_len, cxapian_error *err);
uint32_t cxapian_wdb_doccount(const cxapian_writable_database *db, cxapian_error *err);
uint32_t cxapian_wdb_lastdocid(const cxapian_writable_database *db, cxapian_error *err);
uint32_t cxapian_wdb_termfreq(const cxapian_writable_database *db, const char *term,
                              size_t term_len, cxapian_error *err);
void cxapian_wdb_allterms(const cxapian_writable_database *db, const char *prefix,
                          size_t prefix_len, cxapian_term_callback callback, void *context,
                          cxapian_error *err);

/* ------------------------------------------------------------------ document builder */

cxapian_document *cxapian_doc_new(cxapian_error *err);
void cxapian_doc_free(cxapian_document *doc);
void cxapian_doc_add_posting(cxapian_document *doc, const char *term, size_t term_len,
                             uint32_t position, uint32_t wdf_inc, cxapian_error *err);
void cxapian_doc_add_term(cxapian_document *doc, const char *term, size_t term_len,
                          uint32_t wdf_inc, cxapian_error *err);
/** A term with wdf 0 (filters; does not affect document length). */
void cxapian_doc_add_boolean_term(cxapian_document *doc, const char *term, size_t term_len,
                                  cxapian_error *err);
void cxapian_doc_set_value(cxapian_document *doc, uint32_t slot, const char *value,
                           size_t value_len, cxapian_error *err);
void cxapian_doc_set_data(cxapian_document *doc, const char *data, size_t data_len,
                          cxapian_error *err);

/*
 * Packed term buffer for cxapian_doc_add_packed: a sequence of records, each an opcode
 * byte followed by its fields (varints are unsigned LEB128, at most 32-bit values):
 *
 *   CXAPIAN_PACKED_POSTING (1): varint term_len, term bytes, varint position, varint wdf_inc
 *   CXAPIAN_PACKED_TERM    (2): varint term_len, term bytes, varint wdf_inc
 *   CXAPIAN_PACKED_BOOLEAN (3): varint term_len, term bytes            (wdf 0)
 *
 * Records are applied in order. On a malformed buffer the call fails with
 * CXAPIAN_ERR_INVALID_ARGUMENT and the records before the bad one stay applied.
 */
enum {
    CXAPIAN_PACKED_POSTING = 1,
    CXAPIAN_PACKED_TERM = 2,
    CXAPIAN_PACKED_BOOLEAN = 3
};

void cxapian_doc_add_packed(cxapian_document *doc, const char *buffer, size_t buffer_len,
                            cxapian_error *err);

/* ------------------------------------------------------------------ stemmer */

/** Xapian::Stem by language name or code ("english", "en", "french", "none", ...).
 *  Unknown languages fail with CXAPIAN_ERR_INVALID_ARGUMENT. */
cxapian_stem *cxapian_stem_new(const char *language, size_t language_len, cxapian_error *err);
void cxapian_stem_free(cxapian_stem *stem);
/** Stems `word` into `out` (capacity `out_cap`, not NUL-terminated) and returns the full
 *  length of the stem. When that is larger than out_cap, only out_cap bytes were written:
 *  call again with a larger buffer. */
size_t cxapian_stem_word(const cxapian_stem *stem, const char *word, size_t word_len,
                         char *out, size_t out_cap, cxapian_error *err);
/** Space-separated list of available languages; release with cxapian_free. */
char *cxapian_stem_languages(size_t *out_len, cxapian_error *err);

/* ------------------------------------------------------------------ sortable numbers */

/** Maximum length of a sortable_serialise result. */
enum { CXAPIAN_SORTABLE_MAX = 9 };

/** Xapian::sortable_serialise: writes at most CXAPIAN_SORTABLE_MAX bytes, returns length. */
size_t cxapian_sortable_serialise(double value, char *out);
/** Xapian::sortable_unserialise (never fails; garbage in, some number out). */
double cxapian_sortable_unserialise(const char *bytes, size_t len);

/* ------------------------------------------------------------------ queries */

typedef enum cxapian_query_op {
    CXAPIAN_OP_AND = 0,
    CXAPIAN_OP_OR = 1,
    CXAPIAN_OP_AND_NOT = 2,
    CXAPIAN_OP_XOR = 3,
    CXAPIAN_OP_AND_MAYBE = 4,
    CXAPIAN_OP_FILTER = 5,
    /** parameter: window (0 = number of subqueries). */
    CXAPIAN_OP_NEAR = 6,
    /** parameter: window (0 = number of subqueries). */
    CXAPIAN_OP_PHRASE = 7,
    /** parameter: set size (0 = Xapian's default). */
    CXAPIAN_OP_ELITE_SET = 10,
    CXAPIAN_OP_SYNONYM = 13,
    CXAPIAN_OP_MAX = 14
} cxapian_query_op;

typedef enum cxapian_wildcard_limit {
    /** Fail the search with CXAPIAN_ERR_WILDCARD when more terms match. */
    CXAPIAN_WILDCARD_LIMIT_ERROR = 0,
    /** Use the first max_expansion terms in term order. */
    CXAPIAN_WILDCARD_LIMIT_FIRST = 1,
    /** Use the max_expansion terms with the highest term frequency. */
    CXAPIAN_WILDCARD_LIMIT_MOST_FREQUENT = 2
} cxapian_wildcard_limit;

void cxapian_query_free(cxapian_query *query);
cxapian_query *cxapian_query_match_all(cxapian_error *err);
cxapian_query *cxapian_query_match_nothing(cxapian_error *err);
/** A term; position 0 means "no position". */
cxapian_query *cxapian_query_term(const char *term, size_t term_len, uint32_t wqf,
                                  uint32_t position, cxapian_error *err);
/** Combines subqueries (copied; the caller still owns and frees them). */
cxapian_query *cxapian_query_combine(cxapian_query_op op, const cxapian_query *const *subqueries,
                                     size_t count, uint32_t parameter, cxapian_error *err);
/** OP_SCALE_WEIGHT; the factor must be >= 0. */
cxapian_query *cxapian_query_scale_weight(const cxapian_query *query, double factor,
                                          cxapian_error *err);
/** Documents whose value in `slot` is within [low, high] (bytewise). */
cxapian_query *cxapian_query_value_range(uint32_t slot, const char *low, size_t low_len,
                                         const char *high, size_t high_len, cxapian_error *err);
cxapian_query *cxapian_query_value_ge(uint32_t slot, const char *low, size_t low_len,
                                      cxapian_error *err);
cxapian_query *cxapian_query_value_le(uint32_t slot, const char *high, size_t high_len,
                                      cxapian_error *err);
/** Terms starting with `prefix`; max_expansion 0 = unlimited. `combiner` is
 *  CXAPIAN_OP_SYNONYM, CXAPIAN_OP_OR or CXAPIAN_OP_MAX. */
cxapian_query *cxapian_query_wildcard(const char *prefix, size_t prefix_len,
                                      uint32_t max_expansion, cxapian_wildcard_limit limit,
                                      cxapian_query_op combiner, cxapian_error *err);
/** Query::get_description(); release with cxapian_free. */
char *cxapian_query_description(const cxapian_query *query, size_t *out_len,
                                cxapian_error *err);

/* ------------------------------------------------------------------ search */

typedef enum cxapian_weighting {
    CXAPIAN_WEIGHTING_BM25 = 0,
    /** BoolWeight: every weight is 0 (filter-only queries). */
    CXAPIAN_WEIGHTING_BOOL = 1,
    /** BM25Weight(bm25_k1, 0, 1, bm25_b, 0.5). */
    CXAPIAN_WEIGHTING_BM25_PARAMETERS = 2
} cxapian_weighting;

typedef enum cxapian_sort {
    CXAPIAN_SORT_RELEVANCE = 0,
    CXAPIAN_SORT_RELEVANCE_THEN_KEYS = 1,
    CXAPIAN_SORT_KEYS = 2,
    CXAPIAN_SORT_KEYS_THEN_RELEVANCE = 3
} cxapian_sort;

/** One key of a Xapian::MultiValueKeyMaker. Full ties are ordered by ascending docid. */
typedef struct cxapian_sort_key {
    uint32_t slot;
    bool reverse;
    /** Documents without a value in `slot` sort after every other document, in either
     *  direction (ascending keys otherwise put them first). */
    bool missing_last;
} cxapian_sort_key;

typedef enum cxapian_spy_kind {
    /** Count documents per distinct (non-empty) value of `slot`. */
    CXAPIAN_SPY_VALUE_COUNT = 1,
    /** `slot` holds a varint list; count documents per distinct entry (once per doc). */
    CXAPIAN_SPY_MULTI_VALUE_COUNT = 2,
    /** `slot` holds sortable_serialise(number); count documents per range [from, to). */
    CXAPIAN_SPY_NUMERIC_RANGES = 3,
    /** Append the values of `slots` of every matching doc to a buffer (see below). */
    CXAPIAN_SPY_COLLECT = 4
} cxapian_spy_kind;

typedef struct cxapian_numeric_range {
    double from; /* inclusive, ignored unless has_from */
    double to;   /* exclusive, ignored unless has_to */
    bool has_from;
    bool has_to;
} cxapian_numeric_range;

typedef struct cxapian_spy_spec {
    cxapian_spy_kind kind;
    uint32_t slot;                        /* VALUE_COUNT, MULTI_VALUE_COUNT, NUMERIC_RANGES */
    const cxapian_numeric_range *ranges;  /* NUMERIC_RANGES */
    size_t range_count;
    const uint32_t *slots;                /* COLLECT */
    size_t slot_count;
} cxapian_spy_spec;

typedef struct cxapian_search_options {
    uint32_t first;
    uint32_t max_items;
    /** Counts (totals, spies) are exact when this is >= the number of matches. */
    uint32_t check_at_least;
    cxapian_weighting weighting;
    /** With CXAPIAN_WEIGHTING_BM25_PARAMETERS. */
    double bm25_k1;
    double bm25_b;
    cxapian_sort sort;
    const cxapian_sort_key *sort_keys; /* required for every sort but RELEVANCE */
    size_t sort_key_count;
    /** With CXAPIAN_SORT_KEYS only: return only documents whose sort key is bytewise
     *  greater than this one (a hit's sort_key). Spies still see every matching document;
     *  the totals count only the documents after the cursor (see skipped_by_search_after). */
    bool has_search_after;
    const char *search_after;
    size_t search_after_len;
    bool include_data;
    bool include_matching_terms;
    /** With include_matching_terms: only the first this many hits get them (0: all). */
    uint32_t matching_terms_hits;
    const uint32_t *value_slots; /* values to return per hit, in this order */
    size_t value_slot_count;
    const cxapian_spy_spec *spies;
    size_t spy_count;
} cxapian_search_options;

/** One hit. Pointers point into the result and live as long as it. */
typedef struct cxapian_hit {
    uint32_t docid;
    uint32_t rank; /* 0-based, counting from the first match (not from `first`) */
    double weight;
    const char *data; /* document data (include_data), else empty */
    size_t data_len;
    const char *sort_key; /* key the sorter used; empty for CXAPIAN_SORT_RELEVANCE */
    size_t sort_key_len;
    const char *values; /* varint list, one entry per requested value slot ("" if unset) */
    size_t values_len;
    const char *matching_terms; /* varint list of matching query terms */
    size_t matching_terms_len;
} cxapian_hit;

/** A facet count; for NUMERIC_RANGES `value` is NULL and entries follow the range order. */
typedef struct cxapian_facet_entry {
    const char *value;
    size_t value_len;
    uint64_t count;
} cxapian_facet_entry;

typedef struct cxapian_result_info {
    uint32_t matches_lower_bound;
    uint32_t matches_estimated;
    uint32_t matches_upper_bound;
    /** Matching documents rejected by search_after (exact when check_at_least >= matches). */
    uint32_t skipped_by_search_after;
    const cxapian_hit *hits;
    size_t hit_count;
    size_t spy_count;
} cxapian_result_info;

/** Runs one query. Fails with CXAPIAN_ERR_DATABASE_MODIFIED when the reader must reopen. */
cxapian_result *cxapian_search(const cxapian_database *db, const cxapian_query *query,
                               const cxapian_search_options *options, cxapian_error *err);
void cxapian_result_free(cxapian_result *result);
void cxapian_result_get_info(const cxapian_result *result, cxapian_result_info *out);
/** Facet entries of spy `index` (VALUE_COUNT, MULTI_VALUE_COUNT, NUMERIC_RANGES), unordered
 *  except for NUMERIC_RANGES. Returns NULL with *count 0 for other kinds. */
const cxapian_facet_entry *cxapian_result_spy_entries(const cxapian_result *result,
                                                      size_t index, size_t *count);
/** Buffer of a COLLECT spy: for every matching document (in match order, unspecified),
 *  one varint-list entry per requested slot in slot order ("" if unset). *documents is the
 *  number of documents collected. Returns NULL with 0s for other kinds. */
const char *cxapian_result_spy_buffer(const cxapian_result *result, size_t index,
                                      size_t *len, uint64_t *documents);

#ifdef __cplusplus
}
#endif

#endif /* CXAPIAN_H */
