#pragma once
#include <optional>
#include <string_view>

#include <boost/json/array.hpp>
#include <boost/json/value.hpp>

#include <keel/model/validate.hpp>

namespace keel::model {

/// Parses JSON input (a request body) for from_json. Invalid JSON adds one json_invalid issue at
/// `loc` + [byte offset] and returns nullopt. A string holding a lone UTF-16 surrogate escape
/// ("\ud800", a high one not followed by a low one, a lone low one) is valid JSON to pydantic but
/// not UTF-8: it is parsed, and from_json reports string_unicode on the field that holds it; in a
/// key or an ignored field it does no harm. Nesting is limited to 32 levels (json_invalid).
std::optional<boost::json::value> parse_json(std::string_view text, const boost::json::array& loc, issue_list& out);

namespace detail {
/// What parse_json leaves in place of a string that held a lone surrogate: a 0xFF byte, which no
/// valid UTF-8 string contains, so a string reader tells it apart with a size check.
inline constexpr std::string_view invalid_unicode_marker = "\xFF";
/// RFC 3629 section 4: no overlong forms, no encoded surrogates, nothing past U+10FFFF.
bool valid_utf8(std::string_view s);
}  // namespace detail

}  // namespace keel::model
