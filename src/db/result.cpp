#include <keel/db/result.hpp>

#include <algorithm>
#include <limits>

namespace keel::db {

std::size_t result::column_index(std::string_view name) const
{
    auto it = std::find(columns_.begin(), columns_.end(), name);
    if (it == columns_.end())
        throw decode_error("the result has no column '" + std::string(name) + "'");
    return static_cast<std::size_t>(it - columns_.begin());
}

namespace detail {

void expect_one_column(std::size_t columns)
{
    if (columns != 1)
        throw decode_error("expected one column to read a scalar, the row has " + std::to_string(columns));
}

namespace {
const char* type_name(const value& v)
{
    static constexpr const char* names[] = {"NULL", "boolean", "integer", "real", "text", "blob", "timestamp"};
    return names[v.index()];
}
}  // namespace

void throw_decode(std::string_view column, std::string_view wanted, const value& got)
{
    throw decode_error("column '" + std::string(column) + "': cannot read " + type_name(got) + " as " + std::string(wanted));
}

std::int64_t decode_int(const value& v, std::string_view column)
{
    if (const auto* i = std::get_if<std::int64_t>(&v))
        return *i;
    if (const auto* b = std::get_if<bool>(&v))
        return *b ? 1 : 0;
    throw_decode(column, "an integer", v);
}

void throw_out_of_range(std::string_view column, std::int64_t got, std::int64_t min, std::uint64_t max)
{
    throw decode_error("column '" + std::string(column) + "': " + std::to_string(got) + " is outside the range " +
                       std::to_string(min) + ".." + std::to_string(max) + " of the integer it is read into");
}

double decode_double(const value& v, std::string_view column)
{
    if (const auto* d = std::get_if<double>(&v))
        return *d;
    if (const auto* i = std::get_if<std::int64_t>(&v))
        return static_cast<double>(*i);
    throw_decode(column, "a floating-point number", v);
}

bool decode_bool(const value& v, std::string_view column)
{
    if (const auto* b = std::get_if<bool>(&v))
        return *b;
    if (const auto* i = std::get_if<std::int64_t>(&v); i && (*i == 0 || *i == 1))  // SQLite stores booleans as 0/1
        return *i == 1;
    throw_decode(column, "a boolean", v);
}

std::string decode_string(const value& v, std::string_view column)
{
    if (const auto* s = std::get_if<std::string>(&v))
        return *s;
    throw_decode(column, "text", v);
}

blob decode_blob(const value& v, std::string_view column)
{
    if (const auto* b = std::get_if<blob>(&v))
        return *b;
    throw_decode(column, "a blob", v);
}

timestamp decode_timestamp(const value& v, std::string_view column)
{
    if (const auto* t = std::get_if<timestamp>(&v))
        return *t;
    // SQLite has no timestamp type: ISO 8601 text (its CURRENT_TIMESTAMP form) or Unix seconds
    if (const auto* s = std::get_if<std::string>(&v))
        if (auto parsed = parse_iso8601(*s))
            return *parsed;
    if (const auto* i = std::get_if<std::int64_t>(&v))
        return timestamp(std::chrono::seconds(*i));
    throw_decode(column, "a timestamp", v);
}

}  // namespace detail
}  // namespace keel::db
