// PostgreSQL's spellings (https://www.postgresql.org/docs/current/sql-commands.html).
#include "query/dialect/dialect.hpp"

namespace keel::query::detail {

namespace {

class postgres final : public dialect {
public:
    void append_quoted(std::string& out, std::string_view identifier) const override { append_double_quoted(out, identifier); }
    std::string_view unlimited() const override { return ""; }
    // functions-aggregate.html: SUM(bigint) and AVG(integer types) are numeric, which keel reads
    // as text; the cast keeps the C++ type the builder promised.
    std::string cast(std::string sql, result_cast to) const override
    {
        switch (to) {
        case result_cast::bigint: return "CAST(" + sql + " AS BIGINT)";
        case result_cast::double_precision: return "CAST(" + sql + " AS DOUBLE PRECISION)";
        default: return sql;
        }
    }
    std::string column_type(const model::sql_type& type) const override
    {
        using model::sql_kind;
        switch (type.kind) {
        case sql_kind::integer: return "INTEGER";
        case sql_kind::bigint: return "BIGINT";
        case sql_kind::smallint: return "SMALLINT";
        case sql_kind::varchar: return "VARCHAR(" + std::to_string(type.length) + ")";
        case sql_kind::boolean: return "BOOLEAN";
        case sql_kind::double_precision: return "DOUBLE PRECISION";
        case sql_kind::numeric: return "NUMERIC(" + std::to_string(type.precision) + ", " + std::to_string(type.scale) + ")";
        case sql_kind::timestamptz: return "TIMESTAMPTZ";
        case sql_kind::date: return "DATE";
        case sql_kind::uuid: return "UUID";
        case sql_kind::json: return "JSON";
        case sql_kind::jsonb: return "JSONB";
        case sql_kind::bytes: return "BYTEA";
        default: return "TEXT";  // text, and enumerations (a CHECK keeps them to their values)
        }
    }
    // sql-createtable.html: ALWAYS refuses a value the client sends, as the model never sends one.
    std::string identity(const model::column_info&, const model::table_info&) const override
    {
        return " GENERATED ALWAYS AS IDENTITY";
    }
    std::string_view now() const override { return "now()"; }
};

}  // namespace

const dialect& postgres_dialect()
{
    static const postgres instance;
    return instance;
}

}  // namespace keel::query::detail
