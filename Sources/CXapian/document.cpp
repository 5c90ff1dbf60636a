// Document builder, including the packed batch form.
#include "internal.hpp"

#include <limits>

using cxapian::guard;
using cxapian::guard_void;
using cxapian::need;
using cxapian::str;

namespace {

[[noreturn]] void malformed(const char *what) {
    throw Xapian::InvalidArgumentError(std::string("malformed packed term buffer: ") + what);
}

uint32_t read_u32(const char *&p, const char *end, const char *what) {
    uint64_t v = 0;
    if (!cxapian::read_varint(p, end, v)) malformed(what);
    if (v > std::numeric_limits<uint32_t>::max()) malformed(what);
    return static_cast<uint32_t>(v);
}

std::string read_term(const char *&p, const char *end) {
    uint64_t len = 0;
    if (!cxapian::read_varint(p, end, len)) malformed("term length");
    if (len > static_cast<uint64_t>(end - p)) malformed("term runs past the end");
    std::string term(p, static_cast<size_t>(len));
    p += len;
    return term;
}

void add_packed(Xapian::Document &doc, const char *p, const char *end) {
    while (p < end) {
        const auto op = static_cast<unsigned char>(*p++);
        switch (op) {
        case CXAPIAN_PACKED_POSTING: {
            const std::string term = read_term(p, end);
            const uint32_t pos = read_u32(p, end, "position");
            const uint32_t wdf = read_u32(p, end, "wdf increment");
            doc.add_posting(term, pos, wdf);
            break;
        }
        case CXAPIAN_PACKED_TERM: {
            const std::string term = read_term(p, end);
            const uint32_t wdf = read_u32(p, end, "wdf increment");
            doc.add_term(term, wdf);
            break;
        }
        case CXAPIAN_PACKED_BOOLEAN:
            doc.add_boolean_term(read_term(p, end));
            break;
        default:
            malformed("unknown opcode");
        }
    }
}

} // namespace

extern "C" {

cxapian_document *cxapian_doc_new(cxapian_error *err) {
    return guard(err, static_cast<cxapian_document *>(nullptr),
                 [] { return new cxapian_document{Xapian::Document()}; });
}

void cxapian_doc_free(cxapian_document *doc) {
    try {
        delete doc;
    } catch (...) {
    }
}

void cxapian_doc_add_posting(cxapian_document *doc, const char *term, size_t term_len,
                             uint32_t position, uint32_t wdf_inc, cxapian_error *err) {
    guard_void(err, [&] {
        need(doc, "document").doc.add_posting(str(term, term_len), position, wdf_inc);
    });
}

void cxapian_doc_add_term(cxapian_document *doc, const char *term, size_t term_len,
                          uint32_t wdf_inc, cxapian_error *err) {
    guard_void(err, [&] { need(doc, "document").doc.add_term(str(term, term_len), wdf_inc); });
}

void cxapian_doc_add_boolean_term(cxapian_document *doc, const char *term, size_t term_len,
                                  cxapian_error *err) {
    guard_void(err, [&] { need(doc, "document").doc.add_boolean_term(str(term, term_len)); });
}

void cxapian_doc_set_value(cxapian_document *doc, uint32_t slot, const char *value,
                           size_t value_len, cxapian_error *err) {
    guard_void(err, [&] { need(doc, "document").doc.add_value(slot, str(value, value_len)); });
}

void cxapian_doc_set_data(cxapian_document *doc, const char *data, size_t data_len,
                          cxapian_error *err) {
    guard_void(err, [&] { need(doc, "document").doc.set_data(str(data, data_len)); });
}

void cxapian_doc_add_packed(cxapian_document *doc, const char *buffer, size_t buffer_len,
                            cxapian_error *err) {
    guard_void(err, [&] {
        Xapian::Document &d = need(doc, "document").doc;
        if (buffer_len == 0) return;
        if (buffer == nullptr) throw Xapian::InvalidArgumentError("NULL packed buffer");
        add_packed(d, buffer, buffer + buffer_len);
    });
}

} // extern "C"
