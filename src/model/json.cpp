#include <keel/model/json.hpp>
#include <keel/model/parse.hpp>

#include <charconv>
#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

#include "core/ascii.hpp"

namespace keel::model {

validation_error::validation_error(std::vector<issue> issues)
    : keel::error(issues.empty() ? "validation failed" : "validation failed: " + issues.front().msg),
      issues_(std::move(issues))
{
}

boost::json::value validation_error::to_json() const
{
    boost::json::array detail;
    for (const auto& i : issues_) {
        boost::json::object item{{"type", i.type}, {"loc", i.loc}, {"msg", i.msg}};
        if (!i.ctx.empty())
            item["ctx"] = i.ctx;
        detail.push_back(std::move(item));
    }
    return boost::json::object{{"detail", std::move(detail)}};
}

namespace detail {

void write_string(std::string& out, std::string_view text)
{
    // The escapes Boost.JSON's serializer uses: the two-character forms where JSON has them,
    // \u00xx for the other control characters; UTF-8 passes through.
    static constexpr char hex[] = "0123456789abcdef";
    out += '"';
    auto run = text.begin();
    for (auto at = text.begin(); at != text.end(); ++at) {
        const auto c = static_cast<unsigned char>(*at);
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        out.append(run, at);
        run = at + 1;
        switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\b': out += "\\b"; break;
        case '\f': out += "\\f"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
            out += "\\u00";
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    out.append(run, text.end());
    out += '"';
}

void write_integer(std::string& out, std::int64_t n)
{
    char digits[24];
    out.append(digits, std::to_chars(digits, digits + sizeof digits, n).ptr);
}

void write_integer(std::string& out, std::uint64_t n)
{
    char digits[24];
    out.append(digits, std::to_chars(digits, digits + sizeof digits, n).ptr);
}

void write_double(std::string& out, double d)
{
    if (!std::isfinite(d)) {
        out += "null";  // JSON has no NaN or Infinity
        return;
    }
    char digits[32];
    const auto end = std::to_chars(digits, digits + sizeof digits, d).ptr;  // shortest that reads back the same
    out.append(digits, end);
    if (std::string_view(digits, end).find_first_of(".e") == std::string_view::npos)
        out += ".0";  // still a float to a reader that types numbers, as Python writes it
}

void add_issue(issue_list& out, const boost::json::array& loc, std::string msg, std::string type, boost::json::object ctx)
{
    out.push_back(issue{loc, std::move(msg), std::move(type), std::move(ctx)});
}

namespace {
void add_unicode_issue(issue_list& out, const boost::json::array& loc)
{
    add_issue(out, loc, "Input should be a valid string, unable to parse raw data as a unicode string", "string_unicode");
}
}  // namespace

boost::json::array child_loc(const boost::json::array& loc, std::string_view key)
{
    boost::json::array child = loc;
    child.emplace_back(key);
    return child;
}

boost::json::array child_loc(const boost::json::array& loc, std::size_t index)
{
    boost::json::array child = loc;
    child.emplace_back(static_cast<std::int64_t>(index));
    return child;
}

void add_missing(issue_list& out, const boost::json::array& loc)
{
    add_issue(out, loc, "Field required", "missing");
}

bool require_object(const boost::json::value& v, const boost::json::array& loc, issue_list& out)
{
    if (v.is_object())
        return true;
    add_issue(out, loc, "Input should be a valid dictionary or object to extract fields from", "model_attributes_type");
    return false;
}

const boost::json::value* find_field(const boost::json::value& object, std::string_view key)
{
    return object.as_object().if_contains(key);
}

std::optional<std::string> read_json(tag<std::string>, const json_value& v, const location& loc, issue_list& out)
{
    if (const auto* s = v.if_string()) {
        if (*s == invalid_unicode_marker) {
            add_unicode_issue(out, loc);
            return std::nullopt;
        }
        return std::string(*s);
    }
    add_issue(out, loc, "Input should be a valid string", "string_type");
    return std::nullopt;
}

namespace {
// A whole double: Boost.JSON reads 1e3 and 5.0 as doubles, and integer literals outside
// INT64_MIN..UINT64_MAX too, rounded. Such a literal below INT64_MIN may round to exactly -2^63,
// so that double counts as beyond, like any of 2^64 or more. An integer literal of 310 digits
// or more becomes infinity, which is therefore beyond too (a range error, as pydantic gives
// for a long integer) rather than finite_number (what it gives for 1e999: we cannot tell).
whole_number whole_from_double(double d)
{
    const double magnitude = std::abs(d);
    if (magnitude >= (d < 0 ? 9223372036854775808.0 : 18446744073709551616.0))
        return {d < 0, 0, true};
    const auto m = static_cast<std::uint64_t>(magnitude);
    return {d < 0 && m != 0, m, false};
}
}  // namespace

std::optional<whole_number> read_json(tag<whole_number>, const json_value& v, const location& loc, issue_list& out)
{
    if (const auto* i = v.if_int64())
        return whole_number::of(*i);
    if (const auto* u = v.if_uint64())
        return whole_number::of(*u);
    if (const auto* d = v.if_double()) {
        // pydantic accepts a float with no fractional part (5.0) as an integer
        if (std::trunc(*d) == *d)
            return whole_from_double(*d);
        add_issue(out, loc, "Input should be a valid integer, got a number with a fractional part", "int_from_float");
        return std::nullopt;
    }
    add_issue(out, loc, "Input should be a valid integer", "int_type");
    return std::nullopt;
}

std::optional<whole_number> read_text(tag<whole_number>, std::string_view s, const location& loc, issue_list& out)
{
    bool negative = false;
    if (!s.empty() && (s.front() == '+' || s.front() == '-')) {
        negative = s.front() == '-';
        s.remove_prefix(1);
    }
    // Unsigned from_chars takes digits only, so a second sign is refused; digits beyond
    // 2^64 - 1 are still an integer, which the range check then refuses with the type's bound.
    std::uint64_t magnitude = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), magnitude);
    const bool beyond = ec == std::errc::result_out_of_range;
    if (!s.empty() && end == s.data() + s.size() && (ec == std::errc{} || beyond))
        return whole_number{negative && (magnitude != 0 || beyond), magnitude, beyond};
    add_issue(out, loc, "Input should be a valid integer, unable to parse string as an integer", "int_parsing");
    return std::nullopt;
}

std::optional<double> read_json(tag<double>, const json_value& v, const location& loc, issue_list& out)
{
    if (v.is_number())
        return v.to_number<double>();
    add_issue(out, loc, "Input should be a valid number", "float_type");
    return std::nullopt;
}

std::optional<double> read_text(tag<double>, std::string_view s, const location& loc, issue_list& out)
{
    double value = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
    if (ec == std::errc{} && end == s.data() + s.size() && !s.empty() && std::isfinite(value))
        return value;
    add_issue(out, loc, "Input should be a valid number, unable to parse string as a number", "float_parsing");
    return std::nullopt;
}

std::optional<bool> read_json(tag<bool>, const json_value& v, const location& loc, issue_list& out)
{
    if (const auto* b = v.if_bool())
        return *b;
    add_issue(out, loc, "Input should be a valid boolean", "bool_type");
    return std::nullopt;
}

std::optional<bool> read_text(tag<bool>, std::string_view s, const location& loc, issue_list& out)
{
    using keel::detail::equals_ignoring_case;
    for (const char* yes : {"1", "true", "t", "yes", "y", "on"})
        if (equals_ignoring_case(s, yes))
            return true;
    for (const char* no : {"0", "false", "f", "no", "n", "off"})
        if (equals_ignoring_case(s, no))
            return false;
    add_issue(out, loc, "Input should be a valid boolean, unable to interpret input", "bool_parsing");
    return std::nullopt;
}

std::optional<std::string> read_text(tag<std::string>, std::string_view s, const location& loc, issue_list& out)
{
    // Decoded %XX escapes may be any bytes; text is UTF-8 (a database would refuse it later: a 500).
    if (!valid_utf8(s)) {
        add_unicode_issue(out, loc);
        return std::nullopt;
    }
    return std::string(s);
}

std::optional<timestamp> read_json(tag<timestamp>, const json_value& v, const location& loc, issue_list& out)
{
    auto s = read_json(tag<std::string>{}, v, loc, out);
    return s ? read_text(tag<timestamp>{}, *s, loc, out) : std::nullopt;
}

std::optional<timestamp> read_text(tag<timestamp>, std::string_view s, const location& loc, issue_list& out)
{
    if (auto t = parse_iso8601(s))
        return t;
    add_issue(out, loc, "Input should be a valid datetime", "datetime_parsing");
    return std::nullopt;
}

namespace {

std::size_t code_points(std::string_view s)
{
    std::size_t n = 0;
    for (unsigned char c : s)
        n += (c & 0xC0) != 0x80;
    return n;
}

// a < b; only an input, never a bound, can be beyond the 64-bit ranges.
bool less(const whole_number& a, const whole_number& b)
{
    if (a.negative != b.negative)
        return a.negative;
    if (a.beyond != b.beyond)
        return a.beyond == a.negative;  // of the same sign, the one beyond is farther from zero
    return a.negative ? a.magnitude > b.magnitude : a.magnitude < b.magnitude;
}

std::string bound_text(const whole_number& n)
{
    return fmt::format("{}{}", n.negative ? "-" : "", n.magnitude);
}

boost::json::value bound_json(const whole_number& n)
{
    if (n.negative)
        return n.as<std::int64_t>();
    return n.magnitude;
}

}  // namespace

bool check_text(std::string_view s, std::size_t min, std::size_t max, const compiled_pattern* pattern,
                const boost::json::array& loc, issue_list& out)
{
    const auto length = code_points(s);
    if (length < min) {
        add_issue(out, loc, fmt::format("String should have at least {} character{}", min, min == 1 ? "" : "s"),
                  "string_too_short", {{"min_length", min}});
        return false;
    }
    if (length > max) {
        add_issue(out, loc, fmt::format("String should have at most {} character{}", max, max == 1 ? "" : "s"),
                  "string_too_long", {{"max_length", max}});
        return false;
    }
    if (pattern && !pattern_matches(*pattern, s)) {
        const auto source = pattern_source(*pattern);
        add_issue(out, loc, fmt::format("String should match pattern '{}'", source), "string_pattern_mismatch",
                  {{"pattern", source}});
        return false;
    }
    return true;
}

bool check_range(const whole_number& v, const whole_number& min, const whole_number& max,
                 const boost::json::array& loc, issue_list& out)
{
    if (less(v, min)) {
        add_issue(out, loc, "Input should be greater than or equal to " + bound_text(min), "greater_than_equal",
                  {{"ge", bound_json(min)}});
        return false;
    }
    if (less(max, v)) {
        add_issue(out, loc, "Input should be less than or equal to " + bound_text(max), "less_than_equal",
                  {{"le", bound_json(max)}});
        return false;
    }
    return true;
}

std::string field_path(std::string_view where, std::string_view name)
{
    return where.empty() ? std::string(name) : fmt::format("{}.{}", where, name);
}

void require_compiled(const compiled_pattern& p, std::string_view where)
{
    const auto error = pattern_error(p);
    if (error.empty())
        return;
    throw std::invalid_argument(fmt::format("{}the pattern '{}' does not compile: {}",
                                            where.empty() ? std::string() : fmt::format("field '{}': ", where),
                                            pattern_source(p), error));
}

}  // namespace detail
}  // namespace keel::model
