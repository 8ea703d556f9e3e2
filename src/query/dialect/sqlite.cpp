// SQLite's spellings (https://sqlite.org/lang.html).
#include "query/dialect/dialect.hpp"

#include <stdexcept>

namespace keel::query::detail {

namespace {

class sqlite final : public dialect {
public:
    void append_quoted(std::string& out, std::string_view identifier) const override { append_double_quoted(out, identifier); }
    // lang_select.html: OFFSET is part of the LIMIT clause; a negative LIMIT means none.
    std::string_view unlimited() const override { return "LIMIT -1"; }
    // SUM of integers is an integer and AVG a real already (lang_aggfunc.html).
    std::string cast(std::string sql, result_cast) const override { return sql; }
    // datatype3.html: the type name only chooses an affinity. Every integer is INTEGER, which an
    // identity column needs to alias the rowid; text, dates, uuids and json are TEXT.
    std::string column_type(const model::sql_type& type) const override
    {
        using model::sql_kind;
        switch (type.kind) {
        case sql_kind::integer: case sql_kind::bigint: case sql_kind::smallint: case sql_kind::boolean: return "INTEGER";
        case sql_kind::double_precision: return "REAL";
        case sql_kind::numeric: return "NUMERIC";
        case sql_kind::bytes: return "BLOB";
        default: return "TEXT";
        }
    }
    // lang_createtable.html#rowid: only the single INTEGER PRIMARY KEY is numbered by SQLite.
    std::string identity(const model::column_info& column, const model::table_info& table) const override
    {
        if (table.primary_key.size() != 1 || table.primary_key.front() != column.name)
            throw std::invalid_argument("SQLite numbers only a single-column primary key; " + table.name + "." +
                                        std::string(column.name) + " cannot be an identity column");
        return "";
    }
    // lang_datefunc.html: ISO 8601 with milliseconds and a Z, as keel binds timestamps, so
    // that defaulted and bound times sort together (CURRENT_TIMESTAMP has no T and no zone).
    std::string_view now() const override { return "(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))"; }
};

}  // namespace

const dialect& sqlite_dialect()
{
    static const sqlite instance;
    return instance;
}

}  // namespace keel::query::detail
