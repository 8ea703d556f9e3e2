#pragma once
// The compiled form of a text<> pattern, kept opaque so that RE2 stays out of public headers.
#include <string_view>

namespace keel::model::detail {

/// A pattern compiled by RE2 (src/model/pattern.cpp), or the reason it did not compile.
struct compiled_pattern;

/// Compiles `pattern` into an object that lives until the program ends; never throws for a
/// bad pattern (pattern_error says why), so that check_patterns can name the field.
const compiled_pattern* compile_pattern(std::string_view pattern);
/// RE2's message when the pattern did not compile; empty when it did.
std::string_view pattern_error(const compiled_pattern& p);
std::string_view pattern_source(const compiled_pattern& p);
/// Whether `s` contains a match (search, as pydantic does: anchors in the pattern decide), in
/// time linear in s.size(). Throws std::invalid_argument when the pattern did not compile.
bool pattern_matches(const compiled_pattern& p, std::string_view s);

/// Pattern's compiled form, built on first use and shared by every thread: the function-local
/// static costs one guard check per call, with no lock and no lookup.
template <class Text>
const compiled_pattern& pattern_of()
{
    static const compiled_pattern* const compiled = compile_pattern(Text::pattern);
    return *compiled;
}

}  // namespace keel::model::detail
