#include <keel/model/parse.hpp>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <string>

#include <boost/json/error.hpp>
#include <boost/json/stream_parser.hpp>

#include <keel/model/json.hpp>

namespace keel::model {

namespace {

boost::json::value parse_once(std::string_view text, const boost::json::parse_options& options,
                              boost::system::error_code& ec, std::size_t& used)
{
    boost::json::stream_parser parser({}, options);
    used = parser.write_some(text.data(), text.size(), ec);
    if (!ec && used < text.size() && text.find_first_not_of(" \t\r\n", used) != std::string_view::npos)
        ec = boost::json::error::extra_data;
    if (!ec)
        parser.finish(ec);
    return ec ? boost::json::value() : parser.release();
}


// The UTF-16 code unit that a \u escape (four hex digits) starting at `at` stands for, if one does.
std::optional<std::uint16_t> escaped_unit(std::string_view text, std::size_t at)
{
    if (at + 6 > text.size() || text[at] != '\\' || text[at + 1] != 'u')
        return std::nullopt;
    std::uint16_t unit = 0;
    const char* digits = text.data() + at + 2;
    auto [end, ec] = std::from_chars(digits, digits + 4, unit, 16);
    if (ec != std::errc{} || end != digits + 4)
        return std::nullopt;
    return unit;
}

bool is_high_surrogate(std::uint16_t u) { return u >= 0xD800 && u <= 0xDBFF; }
bool is_low_surrogate(std::uint16_t u) { return u >= 0xDC00 && u <= 0xDFFF; }

// A copy of `text` with each surrogate escape that is not half of a pair overwritten by six
// 0xFF bytes (the same length, so that a later error's offset still points into the text as it
// was sent), or nullopt when there is none.
std::optional<std::string> mark_lone_surrogates(std::string_view text)
{
    std::string out(text);
    bool marked = false;
    for (std::size_t i = 0; i < out.size(); ++i) {
        if (out[i] != '\\')
            continue;
        const auto unit = escaped_unit(out, i);
        if (!unit) {
            ++i;  // a two-character escape: its second character ('\\' or '"') is not a delimiter
            continue;
        }
        if (is_high_surrogate(*unit)) {
            if (const auto next = escaped_unit(out, i + 6); next && is_low_surrogate(*next)) {
                i += 11;
                continue;
            }
        }
        if (is_high_surrogate(*unit) || is_low_surrogate(*unit)) {
            std::fill_n(out.begin() + static_cast<std::ptrdiff_t>(i), 6, '\xFF');
            marked = true;
        }
        i += 5;
    }
    return marked ? std::optional<std::string>(std::move(out)) : std::nullopt;
}

// Replaces every string value holding a marked surrogate with the marker the string readers
// check for. Keys are left as they are: they never match a member name, so they are ignored.
void replace_marked_strings(boost::json::value& v)
{
    if (auto* s = v.if_string()) {
        if (std::string_view(*s).find('\xFF') != std::string_view::npos)
            *s = detail::invalid_unicode_marker;
    } else if (auto* array = v.if_array()) {
        for (auto& item : *array)
            replace_marked_strings(item);
    } else if (auto* object = v.if_object()) {
        for (auto& member : *object)
            replace_marked_strings(member.value());
    }
}

}  // namespace

std::optional<boost::json::value> parse_json(std::string_view text, const boost::json::array& loc, issue_list& out)
{
    boost::system::error_code ec;
    std::size_t used = 0;
    auto value = parse_once(text, {}, ec, used);
    // Boost.JSON 1.81 refuses a lone surrogate (as a surrogate error, or a syntax error when no
    // escape follows a high one). So a text that failed, holds one and is otherwise valid UTF-8
    // (the lenient parse would let invalid bytes through) is parsed again, marked.
    if (ec) {
        if (auto marked = mark_lone_surrogates(text); marked && detail::valid_utf8(text)) {
            boost::json::parse_options lenient;
            lenient.allow_invalid_utf8 = true;
            value = parse_once(*marked, lenient, ec, used);
            if (!ec)
                replace_marked_strings(value);
        }
    }
    if (ec) {
        detail::add_issue(out, detail::child_loc(loc, used), "JSON decode error", "json_invalid",
                          {{"error", ec.message()}});
        return std::nullopt;
    }
    return value;
}

namespace detail {

// RFC 3629 section 4: no overlong forms, no encoded surrogates, nothing past U+10FFFF.
bool valid_utf8(std::string_view s)
{
    for (std::size_t i = 0; i < s.size();) {
        const auto lead = static_cast<unsigned char>(s[i]);
        std::size_t extra = 0;
        unsigned char low = 0x80, high = 0xBF;  // the range of the first continuation byte
        if (lead < 0x80) {
            ++i;
            continue;
        } else if (lead >= 0xC2 && lead <= 0xDF) {
            extra = 1;
        } else if (lead >= 0xE0 && lead <= 0xEF) {
            extra = 2;
            low = lead == 0xE0 ? 0xA0 : 0x80;
            high = lead == 0xED ? 0x9F : 0xBF;
        } else if (lead >= 0xF0 && lead <= 0xF4) {
            extra = 3;
            low = lead == 0xF0 ? 0x90 : 0x80;
            high = lead == 0xF4 ? 0x8F : 0xBF;
        } else {
            return false;
        }
        if (s.size() - i <= extra)
            return false;
        for (std::size_t k = 1; k <= extra; ++k, low = 0x80, high = 0xBF)
            if (const auto c = static_cast<unsigned char>(s[i + k]); c < low || c > high)
                return false;
        i += extra + 1;
    }
    return true;
}

}  // namespace detail
}  // namespace keel::model
