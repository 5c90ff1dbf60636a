// Match spies: facet counts, numeric ranges and value collection.
#include "spies.hpp"

#include <algorithm>
#include <string_view>

namespace cxapian {

namespace {

void export_counts(const std::unordered_map<std::string, uint64_t> &counts,
                   std::vector<cxapian_facet_entry> &entries) {
    entries.reserve(counts.size());
    for (const auto &kv : counts) {
        entries.push_back(cxapian_facet_entry{kv.first.data(), kv.first.size(), kv.second});
    }
}

} // namespace

std::unique_ptr<Spy> Spy::make(const cxapian_spy_spec &spec) {
    switch (spec.kind) {
    case CXAPIAN_SPY_VALUE_COUNT:
        return std::make_unique<ValueCountSpy>(spec.slot);
    case CXAPIAN_SPY_MULTI_VALUE_COUNT:
        return std::make_unique<MultiValueCountSpy>(spec.slot);
    case CXAPIAN_SPY_NUMERIC_RANGES:
        if (spec.range_count > 0 && spec.ranges == nullptr) {
            throw Xapian::InvalidArgumentError("NULL range list");
        }
        return std::make_unique<NumericRangeSpy>(spec.slot, spec.ranges, spec.range_count);
    case CXAPIAN_SPY_COLLECT:
        if (spec.slot_count > 0 && spec.slots == nullptr) {
            throw Xapian::InvalidArgumentError("NULL slot list");
        }
        return std::make_unique<CollectSpy>(spec.slots, spec.slot_count);
    }
    throw Xapian::InvalidArgumentError("unknown spy kind");
}

/* ------------------------------------------------------------------ value count */

void ValueCountSpy::operator()(const Xapian::Document &doc, double) {
    std::string value = doc.get_value(slot);
    if (!value.empty()) ++counts[std::move(value)];
}

void ValueCountSpy::export_entries(std::vector<cxapian_facet_entry> &entries) const {
    export_counts(counts, entries);
}

/* ------------------------------------------------------------------ multi-value count */

void MultiValueCountSpy::operator()(const Xapian::Document &doc, double) {
    const std::string value = doc.get_value(slot);
    if (value.empty()) return;
    scratch.clear();
    const char *p = value.data();
    const char *end = p + value.size();
    while (p < end) {
        uint64_t len = 0;
        // A malformed tail is ignored: count what decodes.
        if (!read_varint(p, end, len) || len > static_cast<uint64_t>(end - p)) break;
        scratch.emplace_back(p, static_cast<size_t>(len));
        p += len;
    }
    if (scratch.size() > 1) {
        auto view = [](const std::pair<const char *, size_t> &e) {
            return std::string_view(e.first, e.second);
        };
        std::sort(scratch.begin(), scratch.end(),
                  [&](const auto &a, const auto &b) { return view(a) < view(b); });
        scratch.erase(std::unique(scratch.begin(), scratch.end(),
                                  [&](const auto &a, const auto &b) { return view(a) == view(b); }),
                      scratch.end());
    }
    for (const auto &entry : scratch) ++counts[std::string(entry.first, entry.second)];
}

void MultiValueCountSpy::export_entries(std::vector<cxapian_facet_entry> &entries) const {
    export_counts(counts, entries);
}

/* ------------------------------------------------------------------ numeric ranges */

NumericRangeSpy::NumericRangeSpy(Xapian::valueno slot_, const cxapian_numeric_range *r, size_t n)
    : slot(slot_), ranges(r, r + n), counts(n, 0) {}

void NumericRangeSpy::operator()(const Xapian::Document &doc, double) {
    const std::string value = doc.get_value(slot);
    if (value.empty()) return;
    const double number = Xapian::sortable_unserialise(value);
    for (size_t i = 0; i < ranges.size(); ++i) {
        const cxapian_numeric_range &range = ranges[i];
        if (range.has_from && !(number >= range.from)) continue;
        if (range.has_to && !(number < range.to)) continue;
        ++counts[i];
    }
}

void NumericRangeSpy::export_entries(std::vector<cxapian_facet_entry> &entries) const {
    entries.reserve(counts.size());
    for (const uint64_t count : counts) entries.push_back(cxapian_facet_entry{nullptr, 0, count});
}

/* ------------------------------------------------------------------ collector */

CollectSpy::CollectSpy(const uint32_t *s, size_t n) : slots(s, s + n) {}

void CollectSpy::operator()(const Xapian::Document &doc, double) {
    ++documents;
    for (const Xapian::valueno slot : slots) append_varint_entry(out, doc.get_value(slot));
}

const std::string *CollectSpy::buffer(uint64_t &docs) const {
    docs = documents;
    return &out;
}

} // namespace cxapian
