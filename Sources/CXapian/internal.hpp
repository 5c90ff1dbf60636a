// Internal to CXapian: handle definitions, the exception guard and varint helpers.
#ifndef CXAPIAN_INTERNAL_HPP
#define CXAPIAN_INTERNAL_HPP

#include "cxapian.h"

#include <xapian.h>

#include <cstdint>
#include <cstring>
#include <exception>
#include <new>
#include <string>

struct cxapian_database {
    Xapian::Database db;
};

struct cxapian_writable_database {
    Xapian::WritableDatabase db;
};

struct cxapian_document {
    Xapian::Document doc;
};

struct cxapian_query {
    Xapian::Query query;
};

struct cxapian_stem {
    Xapian::Stem stem;
};

namespace cxapian {

void report_xapian(cxapian_error *err, const Xapian::Error &e) noexcept;
void report(cxapian_error *err, cxapian_error_code code, const char *type,
            const char *message) noexcept;

/// Runs `fn`, turning every exception into `err`. Returns `fallback` on failure.
template <typename R, typename F>
R guard(cxapian_error *err, R fallback, F &&fn) noexcept {
    try {
        return fn();
    } catch (const Xapian::Error &e) {
        report_xapian(err, e);
    } catch (const std::bad_alloc &e) {
        report(err, CXAPIAN_ERR_OUT_OF_MEMORY, "std::bad_alloc", e.what());
    } catch (const std::exception &e) {
        report(err, CXAPIAN_ERR_OTHER, "std::exception", e.what());
    } catch (...) {
        report(err, CXAPIAN_ERR_OTHER, "unknown", "unknown C++ exception");
    }
    return fallback;
}

template <typename F>
void guard_void(cxapian_error *err, F &&fn) noexcept {
    guard(err, 0, [&] {
        fn();
        return 0;
    });
}

/// Throws InvalidArgumentError when a handle is NULL.
template <typename T>
T &need(T *handle, const char *what) {
    if (handle == nullptr) {
        throw Xapian::InvalidArgumentError(std::string("NULL ") + what + " handle");
    }
    return *handle;
}

/// A std::string from a (pointer, length) pair that may be (NULL, 0).
inline std::string str(const char *p, size_t n) {
    if (n == 0) return std::string();
    if (p == nullptr) throw Xapian::InvalidArgumentError("NULL pointer with non-zero length");
    return std::string(p, n);
}

/// A malloc'd, NUL-terminated copy of `s` for the caller to cxapian_free.
char *malloc_copy(const std::string &s, size_t *out_len);

inline void append_varint(std::string &out, uint64_t v) {
    while (v >= 0x80) {
        out.push_back(static_cast<char>((v & 0x7f) | 0x80));
        v >>= 7;
    }
    out.push_back(static_cast<char>(v));
}

/// Reads one varint at `p`, advancing it. False when truncated or longer than 64 bits.
inline bool read_varint(const char *&p, const char *end, uint64_t &out) {
    uint64_t v = 0;
    unsigned shift = 0;
    while (p < end) {
        const auto byte = static_cast<unsigned char>(*p++);
        if (shift == 63 && byte > 1) return false;
        v |= static_cast<uint64_t>(byte & 0x7f) << shift;
        if ((byte & 0x80) == 0) {
            out = v;
            return true;
        }
        shift += 7;
        if (shift > 63) return false;
    }
    return false;
}

inline void append_varint_entry(std::string &out, const std::string &value) {
    append_varint(out, value.size());
    out.append(value);
}

/// Shared by the read-only and the writable database.
void for_each_term(const Xapian::Database &db, const char *prefix, size_t prefix_len,
                   cxapian_term_callback callback, void *context);

} // namespace cxapian

#endif
