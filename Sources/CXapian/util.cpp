// Errors, memory, version and sortable numbers.
#include "internal.hpp"

#include <cstdlib>

namespace cxapian {

namespace {

char *malloc_message(const std::string &s, size_t *len) noexcept {
    char *p = static_cast<char *>(std::malloc(s.size() + 1));
    if (p == nullptr) {
        *len = 0;
        return nullptr;
    }
    std::memcpy(p, s.data(), s.size());
    p[s.size()] = '\0';
    *len = s.size();
    return p;
}

void set(cxapian_error *err, cxapian_error_code code, const char *type,
         const std::string &message) noexcept {
    if (err == nullptr) return;
    std::free(err->message);
    err->code = code;
    err->type = type;
    err->message = malloc_message(message, &err->message_len);
}

cxapian_error_code classify(const Xapian::Error &e) noexcept {
    // Xapian::Error has no virtual functions (no dynamic_cast): classify by class name.
    struct Entry {
        const char *type;
        cxapian_error_code code;
    };
    static const Entry table[] = {
        {"DatabaseModifiedError", CXAPIAN_ERR_DATABASE_MODIFIED},
        {"DatabaseLockError", CXAPIAN_ERR_DATABASE_LOCKED},
        {"DatabaseOpeningError", CXAPIAN_ERR_DATABASE_OPENING},
        {"DatabaseNotFoundError", CXAPIAN_ERR_DATABASE_OPENING},
        {"DatabaseVersionError", CXAPIAN_ERR_DATABASE_OPENING},
        {"DatabaseCorruptError", CXAPIAN_ERR_DATABASE_CORRUPT},
        {"DatabaseClosedError", CXAPIAN_ERR_DATABASE_CLOSED},
        {"DatabaseCreateError", CXAPIAN_ERR_DATABASE_CREATE},
        {"DatabaseError", CXAPIAN_ERR_DATABASE},
        {"DocNotFoundError", CXAPIAN_ERR_DOCUMENT_NOT_FOUND},
        {"InvalidArgumentError", CXAPIAN_ERR_INVALID_ARGUMENT},
        {"InvalidOperationError", CXAPIAN_ERR_INVALID_OPERATION},
        {"WildcardError", CXAPIAN_ERR_WILDCARD},
        {"UnimplementedError", CXAPIAN_ERR_UNIMPLEMENTED},
        {"FeatureUnavailableError", CXAPIAN_ERR_UNIMPLEMENTED},
    };
    const char *type = e.get_type();
    if (type == nullptr) return CXAPIAN_ERR_OTHER;
    for (const Entry &entry : table) {
        if (std::strcmp(type, entry.type) == 0) return entry.code;
    }
    return CXAPIAN_ERR_OTHER;
}

} // namespace

void report_xapian(cxapian_error *err, const Xapian::Error &e) noexcept {
    if (err == nullptr) return;
    try {
        std::string message = e.get_msg();
        if (!e.get_context().empty()) {
            message += " (context: ";
            message += e.get_context();
            message += ')';
        }
        if (const char *detail = e.get_error_string()) {
            message += " (";
            message += detail;
            message += ')';
        }
        set(err, classify(e), e.get_type(), message);
    } catch (...) {
        err->code = classify(e);
        err->type = e.get_type();
    }
}

void report(cxapian_error *err, cxapian_error_code code, const char *type,
            const char *message) noexcept {
    if (err == nullptr) return;
    try {
        set(err, code, type, message ? std::string(message) : std::string());
    } catch (...) {
        err->code = code;
        err->type = type;
    }
}

char *malloc_copy(const std::string &s, size_t *out_len) {
    char *p = static_cast<char *>(std::malloc(s.size() + 1));
    if (p == nullptr) throw std::bad_alloc();
    std::memcpy(p, s.data(), s.size());
    p[s.size()] = '\0';
    if (out_len) *out_len = s.size();
    return p;
}

} // namespace cxapian

extern "C" {

void cxapian_error_clear(cxapian_error *err) {
    if (err == nullptr) return;
    std::free(err->message);
    err->code = CXAPIAN_OK;
    err->type = nullptr;
    err->message = nullptr;
    err->message_len = 0;
}

void cxapian_free(void *ptr) { std::free(ptr); }

const char *cxapian_version_string(void) {
    try {
        return Xapian::version_string();
    } catch (...) {
        return "";
    }
}

int cxapian_version_major(void) {
    try {
        return Xapian::major_version();
    } catch (...) {
        return 0;
    }
}

size_t cxapian_sortable_serialise(double value, char *out) {
    try {
        return Xapian::sortable_serialise_(value, out);
    } catch (...) {
        return 0;
    }
}

double cxapian_sortable_unserialise(const char *bytes, size_t len) {
    try {
        return Xapian::sortable_unserialise(cxapian::str(bytes, len));
    } catch (...) {
        return 0;
    }
}

} // extern "C"
