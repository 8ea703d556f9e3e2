#pragma once
// Case-insensitive comparison for protocol tokens (header names, schemes, codings), which are
// ASCII: one definition for every module. Beast 1.81's iequals reads one byte past both views when
// they differ only in case, so keel does not use it.
#include <algorithm>
#include <string_view>

namespace keel::detail {

constexpr char ascii_lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

/// `text` equals `lower_case` (already in lower case) but for the case of ASCII letters.
constexpr bool equals_ignoring_case(std::string_view text, std::string_view lower_case)
{
    return text.size() == lower_case.size() &&
           std::equal(text.begin(), text.end(), lower_case.begin(), [](char c, char l) { return ascii_lower(c) == l; });
}

/// `a` equals `b` but for the case of ASCII letters.
constexpr bool same_ignoring_case(std::string_view a, std::string_view b)
{
    return a.size() == b.size() &&
           std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return ascii_lower(x) == ascii_lower(y); });
}

}  // namespace keel::detail
