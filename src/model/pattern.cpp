#include <keel/model/pattern.hpp>

#include <stdexcept>
#include <string>

#include <re2/re2.h>

namespace keel::model::detail {

struct compiled_pattern {
    explicit compiled_pattern(std::string_view pattern) : re(re2::StringPiece(pattern.data(), pattern.size()), options()) {}

    static RE2::Options options()
    {
        RE2::Options o;  // UTF-8 input, the whole RE2 syntax
        // A bad pattern is reported by check_patterns with its field's name; RE2's own
        // stderr line would say the same thing without it.
        o.set_log_errors(false);
        return o;
    }

    RE2 re;
};

const compiled_pattern* compile_pattern(std::string_view pattern)
{
    // Never freed: there is one per text<> type that has a pattern, and it is used until exit.
    return new compiled_pattern(pattern);
}

std::string_view pattern_error(const compiled_pattern& p)
{
    return p.re.ok() ? std::string_view() : std::string_view(p.re.error());
}

std::string_view pattern_source(const compiled_pattern& p)
{
    return p.re.pattern();
}

bool pattern_matches(const compiled_pattern& p, std::string_view s)
{
    if (!p.re.ok())
        throw std::invalid_argument("the pattern '" + p.re.pattern() + "' does not compile: " + p.re.error());
    // UNANCHORED with no submatches: RE2 runs its DFA, linear in s and without recursion.
    return p.re.Match(re2::StringPiece(s.data(), s.size()), 0, s.size(), RE2::UNANCHORED, nullptr, 0);
}

}  // namespace keel::model::detail
