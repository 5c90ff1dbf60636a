// Match spies used by cxapian_search. Internal to CXapian.
#ifndef CXAPIAN_SPIES_HPP
#define CXAPIAN_SPIES_HPP

#include "internal.hpp"

#include <memory>
#include <unordered_map>
#include <vector>

namespace cxapian {

/// Base of the spies: a Xapian::MatchSpy plus the results cxapian_result hands out.
class Spy : public Xapian::MatchSpy {
  public:
    /// Fills `entries` (facet-style spies); pointers may point into the spy.
    virtual void export_entries(std::vector<cxapian_facet_entry> &entries) const { (void)entries; }
    /// The collect buffer (collector only).
    virtual const std::string *buffer(uint64_t &documents) const {
        documents = 0;
        return nullptr;
    }

    /// Builds the spy described by `spec`.
    static std::unique_ptr<Spy> make(const cxapian_spy_spec &spec);
};

/// Distinct non-empty values of one slot, one count per document.
class ValueCountSpy final : public Spy {
    Xapian::valueno slot;
    std::unordered_map<std::string, uint64_t> counts;

  public:
    explicit ValueCountSpy(Xapian::valueno slot_) : slot(slot_) {}
    void operator()(const Xapian::Document &doc, double wt) override;
    void export_entries(std::vector<cxapian_facet_entry> &entries) const override;
};

/// A slot holding a varint list; every distinct entry counts once per document.
class MultiValueCountSpy final : public Spy {
    Xapian::valueno slot;
    std::unordered_map<std::string, uint64_t> counts;
    std::vector<std::pair<const char *, size_t>> scratch;

  public:
    explicit MultiValueCountSpy(Xapian::valueno slot_) : slot(slot_) {}
    void operator()(const Xapian::Document &doc, double wt) override;
    void export_entries(std::vector<cxapian_facet_entry> &entries) const override;
};

/// A slot holding sortable_serialise(number); counts per [from, to) range.
class NumericRangeSpy final : public Spy {
    Xapian::valueno slot;
    std::vector<cxapian_numeric_range> ranges;
    std::vector<uint64_t> counts;

  public:
    NumericRangeSpy(Xapian::valueno slot_, const cxapian_numeric_range *r, size_t n);
    void operator()(const Xapian::Document &doc, double wt) override;
    void export_entries(std::vector<cxapian_facet_entry> &entries) const override;
};

/// Appends the values of several slots of every document to one buffer.
class CollectSpy final : public Spy {
    std::vector<Xapian::valueno> slots;
    std::string out;
    uint64_t documents = 0;

  public:
    CollectSpy(const uint32_t *s, size_t n);
    void operator()(const Xapian::Document &doc, double wt) override;
    const std::string *buffer(uint64_t &docs) const override;
};

} // namespace cxapian

#endif
