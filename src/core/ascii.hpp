#pragma once
// Case-insensitive comparison for protocol tokens (header names, schemes, codings), which are
// ASCII: one definition for every module. Beast 1.81's iequals reads one byte past both views when
// they differ only in case, so keel does not use it.
#include <algorithm>
#include <string>
#include <string_view>

namespace keel::detail {

constexpr char ascii_lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

/// `text` with its ASCII letters in lower case. std::tolower would follow the C locale, which a
/// program may set to one where 'I' does not become 'i'.
inline std::string ascii_lowered(std::string_view text)
{
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(), ascii_lower);
    return out;
}

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

/// `text` is a URI scheme (RFC 3986 3.1): a letter, then letters, digits, '+', '-' or '.'.
constexpr bool is_uri_scheme(std::string_view text)
{
    constexpr auto letter = [](char c) { return ascii_lower(c) >= 'a' && ascii_lower(c) <= 'z'; };
    return !text.empty() && letter(text.front()) && std::all_of(text.begin(), text.end(), [&](char c) {
        return letter(c) || (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.';
    });
}

/// `text` without the `blanks` (by default HTTP's optional whitespace) at either end.
constexpr std::string_view trim(std::string_view text, std::string_view blanks = " \t")
{
    const auto first = text.find_first_not_of(blanks);
    if (first == std::string_view::npos)
        return {};
    return text.substr(first, text.find_last_not_of(blanks) - first + 1);
}

}  // namespace keel::detail
