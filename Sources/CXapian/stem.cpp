// Stemmers.
#include "internal.hpp"

using cxapian::guard;
using cxapian::need;
using cxapian::str;

extern "C" {

cxapian_stem *cxapian_stem_new(const char *language, size_t language_len, cxapian_error *err) {
    return guard(err, static_cast<cxapian_stem *>(nullptr), [&] {
        // Xapian::Stem treats "" as "none"; an empty name is more likely a mistake.
        if (language_len == 0) throw Xapian::InvalidArgumentError("empty stemmer language");
        return new cxapian_stem{Xapian::Stem(str(language, language_len))};
    });
}

void cxapian_stem_free(cxapian_stem *stem) {
    try {
        delete stem;
    } catch (...) {
    }
}

size_t cxapian_stem_word(const cxapian_stem *stem, const char *word, size_t word_len, char *out,
                         size_t out_cap, cxapian_error *err) {
    return guard(err, static_cast<size_t>(0), [&] {
        const std::string stemmed = need(stem, "stemmer").stem(str(word, word_len));
        if (out != nullptr) {
            std::memcpy(out, stemmed.data(), stemmed.size() < out_cap ? stemmed.size() : out_cap);
        }
        return stemmed.size();
    });
}

char *cxapian_stem_languages(size_t *out_len, cxapian_error *err) {
    return guard(err, static_cast<char *>(nullptr), [&] {
        return cxapian::malloc_copy(Xapian::Stem::get_available_languages(), out_len);
    });
}

} // extern "C"
