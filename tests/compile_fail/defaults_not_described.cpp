// keel_defaults naming a member the description leaves out must not compile: binding would
// never see it, so the default would silently not apply.
#include <string>

#include <keel/model/json.hpp>

struct note_in {
    std::string title;
    bool pinned = false;
    int hidden = 0;
};
BOOST_DESCRIBE_STRUCT(note_in, (), (title, pinned))
constexpr auto keel_defaults(note_in*) { return keel::model::defaults(&note_in::pinned, &note_in::hidden); }

static_assert(keel::model::has_default<note_in, &note_in::pinned>());
