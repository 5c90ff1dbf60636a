// Read-only and writable databases.
#include "internal.hpp"

#include <vector>

using cxapian::guard;
using cxapian::guard_void;
using cxapian::need;
using cxapian::str;

namespace cxapian {

void for_each_term(const Xapian::Database &db, const char *prefix, size_t prefix_len,
                   cxapian_term_callback callback, void *context) {
    if (callback == nullptr) throw Xapian::InvalidArgumentError("NULL term callback");
    const std::string p = str(prefix, prefix_len);
    const auto end = db.allterms_end(p);
    for (auto it = db.allterms_begin(p); it != end; ++it) {
        const std::string &term = *it;
        if (callback(context, term.data(), term.size(), it.get_termfreq()) != 0) break;
    }
}

} // namespace cxapian

namespace {

char *get_metadata(const Xapian::Database &db, const char *key, size_t key_len,
                   size_t *out_len) {
    return cxapian::malloc_copy(db.get_metadata(str(key, key_len)), out_len);
}

} // namespace

extern "C" {

/* ------------------------------------------------------------------ read-only */

cxapian_database *cxapian_db_open(const char *path, size_t path_len, cxapian_error *err) {
    return guard(err, static_cast<cxapian_database *>(nullptr), [&] {
        return new cxapian_database{Xapian::Database(str(path, path_len))};
    });
}

cxapian_database *cxapian_db_open_many(const char *const *paths, const size_t *path_lens,
                                       size_t count, cxapian_error *err) {
    return guard(err, static_cast<cxapian_database *>(nullptr), [&] {
        if (count > 0 && (paths == nullptr || path_lens == nullptr)) {
            throw Xapian::InvalidArgumentError("NULL path list");
        }
        Xapian::Database combined;
        for (size_t i = 0; i < count; ++i) {
            combined.add_database(Xapian::Database(str(paths[i], path_lens[i])));
        }
        return new cxapian_database{combined};
    });
}

void cxapian_db_free(cxapian_database *db) {
    try {
        delete db;
    } catch (...) {
    }
}

bool cxapian_db_reopen(cxapian_database *db, cxapian_error *err) {
    return guard(err, false, [&] { return need(db, "database").db.reopen(); });
}

void cxapian_db_close(cxapian_database *db, cxapian_error *err) {
    guard_void(err, [&] { need(db, "database").db.close(); });
}

uint32_t cxapian_db_doccount(const cxapian_database *db, cxapian_error *err) {
    return guard(err, 0u, [&] { return need(db, "database").db.get_doccount(); });
}

uint32_t cxapian_db_lastdocid(const cxapian_database *db, cxapian_error *err) {
    return guard(err, 0u, [&] { return need(db, "database").db.get_lastdocid(); });
}

uint32_t cxapian_db_termfreq(const cxapian_database *db, const char *term, size_t term_len,
                             cxapian_error *err) {
    return guard(err, 0u, [&] {
        return need(db, "database").db.get_termfreq(str(term, term_len));
    });
}

void cxapian_db_allterms(const cxapian_database *db, const char *prefix, size_t prefix_len,
                         cxapian_term_callback callback, void *context, cxapian_error *err) {
    guard_void(err, [&] {
        cxapian::for_each_term(need(db, "database").db, prefix, prefix_len, callback, context);
    });
}

char *cxapian_db_get_metadata(const cxapian_database *db, const char *key, size_t key_len,
                              size_t *out_len, cxapian_error *err) {
    return guard(err, static_cast<char *>(nullptr), [&] {
        return get_metadata(need(db, "database").db, key, key_len, out_len);
    });
}

char *cxapian_db_get_data(const cxapian_database *db, uint32_t docid, size_t *out_len,
                          cxapian_error *err) {
    return guard(err, static_cast<char *>(nullptr), [&] {
        const Xapian::Document doc = need(db, "database").db.get_document(docid);
        return cxapian::malloc_copy(doc.get_data(), out_len);
    });
}

char *cxapian_db_get_value(const cxapian_database *db, uint32_t docid, uint32_t slot,
                           size_t *out_len, cxapian_error *err) {
    return guard(err, static_cast<char *>(nullptr), [&] {
        const Xapian::Document doc = need(db, "database").db.get_document(docid);
        return cxapian::malloc_copy(doc.get_value(slot), out_len);
    });
}

/* ------------------------------------------------------------------ writable */

cxapian_writable_database *cxapian_wdb_open(const char *path, size_t path_len, int flags,
                                            cxapian_error *err) {
    return guard(err, static_cast<cxapian_writable_database *>(nullptr), [&] {
        int xflags = (flags & CXAPIAN_WDB_OVERWRITE) ? Xapian::DB_CREATE_OR_OVERWRITE
                                                     : Xapian::DB_CREATE_OR_OPEN;
        if (flags & CXAPIAN_WDB_NO_SYNC) xflags |= Xapian::DB_NO_SYNC;
        return new cxapian_writable_database{
            Xapian::WritableDatabase(str(path, path_len), xflags)};
    });
}

void cxapian_wdb_free(cxapian_writable_database *db) {
    try {
        delete db;
    } catch (...) {
    }
}

void cxapian_wdb_close(cxapian_writable_database *db, cxapian_error *err) {
    guard_void(err, [&] { need(db, "writable database").db.close(); });
}

void cxapian_wdb_commit(cxapian_writable_database *db, cxapian_error *err) {
    guard_void(err, [&] { need(db, "writable database").db.commit(); });
}

uint32_t cxapian_wdb_add_document(cxapian_writable_database *db, const cxapian_document *doc,
                                  cxapian_error *err) {
    return guard(err, 0u, [&] {
        return need(db, "writable database").db.add_document(need(doc, "document").doc);
    });
}

uint32_t cxapian_wdb_replace_document(cxapian_writable_database *db, const char *unique_term,
                                      size_t term_len, const cxapian_document *doc,
                                      cxapian_error *err) {
    return guard(err, 0u, [&] {
        return need(db, "writable database")
            .db.replace_document(str(unique_term, term_len), need(doc, "document").doc);
    });
}

void cxapian_wdb_delete_document(cxapian_writable_database *db, const char *unique_term,
                                 size_t term_len, cxapian_error *err) {
    guard_void(err, [&] {
        need(db, "writable database").db.delete_document(str(unique_term, term_len));
    });
}

void cxapian_wdb_set_metadata(cxapian_writable_database *db, const char *key, size_t key_len,
                              const char *value, size_t value_len, cxapian_error *err) {
    guard_void(err, [&] {
        need(db, "writable database").db.set_metadata(str(key, key_len), str(value, value_len));
    });
}

char *cxapian_wdb_get_metadata(const cxapian_writable_database *db, const char *key,
                               size_t key_len, size_t *out_len, cxapian_error *err) {
    return guard(err, static_cast<char *>(nullptr), [&] {
        return get_metadata(need(db, "writable database").db, key, key_len, out_len);
    });
}

uint32_t cxapian_wdb_doccount(const cxapian_writable_database *db, cxapian_error *err) {
    return guard(err, 0u, [&] { return need(db, "writable database").db.get_doccount(); });
}

uint32_t cxapian_wdb_lastdocid(const cxapian_writable_database *db, cxapian_error *err) {
    return guard(err, 0u, [&] { return need(db, "writable database").db.get_lastdocid(); });
}

uint32_t cxapian_wdb_termfreq(const cxapian_writable_database *db, const char *term,
                              size_t term_len, cxapian_error *err) {
    return guard(err, 0u, [&] {
        return need(db, "writable database").db.get_termfreq(str(term, term_len));
    });
}

void cxapian_wdb_allterms(const cxapian_writable_database *db, const char *prefix,
                          size_t prefix_len, cxapian_term_callback callback, void *context,
                          cxapian_error *err) {
    guard_void(err, [&] {
        cxapian::for_each_term(need(db, "writable database").db, prefix, prefix_len, callback,
                               context);
    });
}

} // extern "C"
