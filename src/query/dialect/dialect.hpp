#pragma once
// What differs between SQL dialects, one implementation per file (sqlite.cpp, postgres.cpp);
// render.cpp and ddl.cpp build the statements and ask the dialect wherever spellings part.
#include <string>
#include <string_view>

#include <keel/db/url.hpp>
#include <keel/model/table.hpp>
#include <keel/query/ast.hpp>

namespace keel::query::detail {

class dialect {
public:
    virtual ~dialect() = default;
    /// Appends `identifier` quoted (appending, not returning: the renderer builds every
    /// statement of a request this way, and a string per identifier showed in its profile).
    virtual void append_quoted(std::string& out, std::string_view identifier) const = 0;
    std::string quote(std::string_view identifier) const
    {
        std::string out;
        append_quoted(out, identifier);
        return out;
    }
    /// Both backends' sessions take $1, $2, … (SQLite natively, as named parameters).
    void append_placeholder(std::string& out, std::size_t number) const;
    /// What OFFSET needs before it when there is no LIMIT ("" when nothing).
    virtual std::string_view unlimited() const = 0;
    /// `sql` (an aggregate) as the type the builder promised its reader.
    virtual std::string cast(std::string sql, result_cast to) const = 0;
    virtual std::string column_type(const model::sql_type& type) const = 0;
    /// The clause after an identity column's type; throws std::invalid_argument when the dialect
    /// cannot number this column.
    virtual std::string identity(const model::column_info& column, const model::table_info& table) const = 0;
    /// The current time as a column default.
    virtual std::string_view now() const = 0;
};

const dialect& sqlite_dialect();
const dialect& postgres_dialect();
const dialect& dialect_for(db::backend backend);

/// `text` as a standard SQL string literal ('' for '), the same in both dialects: for DDL and
/// other statements that take no bind parameters.
std::string string_literal(std::string_view text);

/// ON DELETE / ON UPDATE's spelling of `action` ("NO ACTION", "CASCADE", …), the same in both dialects.
std::string_view fk_action_sql(model::fk_action action);

/// Appends `identifier` in double quotes, inner quotes doubled (SQL standard; SQLite and PostgreSQL).
void append_double_quoted(std::string& out, std::string_view identifier);

}  // namespace keel::query::detail
