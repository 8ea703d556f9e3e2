#include <charconv>
#include <cstdlib>

#include <fmt/format.h>
#include <libpq-fe.h>

#include <keel/db/errors.hpp>

#include "db/postgres/connection.hpp"

namespace keel::db::postgres {

namespace {

// Type OIDs from pg_type.dat (stable across versions).
enum : Oid {
    bool_oid = 16, bytea_oid = 17, char_oid = 18, name_oid = 19, int8_oid = 20, int2_oid = 21, int4_oid = 23,
    text_oid = 25, oid_oid = 26, json_oid = 114, xml_oid = 142, float4_oid = 700, float8_oid = 701,
    bpchar_oid = 1042, varchar_oid = 1043, date_oid = 1082, time_oid = 1083, timestamp_oid = 1114,
    timestamptz_oid = 1184, interval_oid = 1186, numeric_oid = 1700, uuid_oid = 2950, jsonb_oid = 3802,
    void_oid = 2278,
};

blob decode_bytea(std::string_view text, std::string_view column)
{
    // bytea_output = hex (the default since 9.0): "\x" then two hex digits a byte
    if (!text.starts_with("\\x") || text.size() % 2 != 0)
        throw decode_error(fmt::format("column '{}': bytea is not in hex format", column));
    auto nibble = [](char c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; };
    blob out;
    out.reserve((text.size() - 2) / 2);
    for (std::size_t i = 2; i < text.size(); i += 2)
        out.push_back(static_cast<unsigned char>(nibble(text[i]) * 16 + nibble(text[i + 1])));
    return out;
}

value decode_value(Oid type, std::string_view text, std::string_view column)
{
    switch (type) {
    case bool_oid:
        return text == "t";
    case int2_oid:
    case int4_oid:
    case int8_oid:
    case oid_oid: {
        std::int64_t n = 0;
        std::from_chars(text.data(), text.data() + text.size(), n);  // PostgreSQL's own integer text
        return n;
    }
    case float4_oid:
    case float8_oid:
        return std::strtod(std::string(text).c_str(), nullptr);  // also NaN, Infinity
    case timestamp_oid:
    case timestamptz_oid:
        if (auto t = parse_iso8601(text))
            return *t;
        throw decode_error(fmt::format("column '{}': timestamp '{}' is out of keel::timestamp's range", column, text));
    case bytea_oid:
        return decode_bytea(text, column);
    case numeric_oid:  // exact decimal: kept as its text
    case text_oid:
    case varchar_oid:
    case bpchar_oid:
    case char_oid:
    case name_oid:
    case json_oid:
    case jsonb_oid:
    case xml_oid:
    case uuid_oid:
    case date_oid:
    case time_oid:
    case interval_oid:
    case void_oid:
        return std::string(text);
    default:
        throw decode_error(fmt::format("column '{}': PostgreSQL type OID {} is not supported; cast it in SQL "
                                       "(for example ::text)",
                                       column, type));
    }
}

}  // namespace

result decode_result(const pg_result* res)
{
    const int columns = PQnfields(res);
    const int rows = PQntuples(res);
    std::vector<std::string> names;
    names.reserve(static_cast<std::size_t>(columns));
    for (int c = 0; c < columns; ++c)
        names.emplace_back(PQfname(res, c));
    std::vector<value> values;
    values.reserve(static_cast<std::size_t>(rows) * static_cast<std::size_t>(columns));
    for (int r = 0; r < rows; ++r)
        for (int c = 0; c < columns; ++c) {
            if (PQgetisnull(res, r, c))
                values.emplace_back(nullptr);
            else
                values.push_back(decode_value(PQftype(res, c),
                                              std::string_view(PQgetvalue(res, r, c), static_cast<std::size_t>(PQgetlength(res, r, c))),
                                              names[static_cast<std::size_t>(c)]));
        }
    const char* affected = PQcmdTuples(const_cast<pg_result*>(res));
    return result(std::move(names), std::move(values), affected && *affected ? std::atoll(affected) : 0);
}

}  // namespace keel::db::postgres
