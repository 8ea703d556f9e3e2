#include "migrate/shape_ddl.hpp"

#include <fmt/format.h>

#include "migrate/shape.hpp"
#include "query/dialect/dialect.hpp"

namespace keel::migrate::detail {

namespace {

std::string named(const shape_ddl& ddl, const std::string& constraint, const std::string& clause)
{
    return constraint.empty() ? clause : "CONSTRAINT " + ddl.quote(constraint) + " " + clause;
}

bool sqlite_rowid_key(db::backend dialect, const column_shape& c, const table_shape& t)
{
    return dialect == db::backend::sqlite && t.primary_key.size() == 1 && t.primary_key.front() == c.name;
}

}  // namespace

std::string shape_ddl::quote(std::string_view identifier) const { return query::detail::dialect_for(dialect_).quote(identifier); }

std::string shape_ddl::quoted_list(const std::vector<std::string>& names) const
{
    std::string out;
    for (std::size_t i = 0; i < names.size(); ++i)
        out += (i ? ", " : "") + quote(names[i]);
    return out;
}

std::string shape_ddl::column(const column_shape& c, const table_shape& t) const
{
    std::string out = quote(c.name) + " " + c.type;
    if (c.identity && dialect_ == db::backend::postgresql)
        out += " GENERATED ALWAYS AS IDENTITY";
    if (sqlite_rowid_key(dialect_, c, t))
        out += " PRIMARY KEY";  // inline, so that an INTEGER key stays the rowid
    if (!c.nullable)
        out += " NOT NULL";
    if (!c.default_value.empty())  // the database's own spelling: normalising drops casts
        out += " DEFAULT (" + std::string(without_outer_parentheses(c.default_sql.empty() ? c.default_value : c.default_sql)) + ")";
    return out;
}

std::string shape_ddl::create_table(const table_shape& t, std::string_view as_name) const
{
    std::vector<std::string> parts;
    for (const auto& c : t.columns)
        parts.push_back(column(c, t));
    const bool inline_key = !t.columns.empty() && t.primary_key.size() == 1 && dialect_ == db::backend::sqlite;
    if (!t.primary_key.empty() && !inline_key)
        parts.push_back(named(*this, t.primary_key_constraint, "PRIMARY KEY (" + quoted_list(t.primary_key) + ")"));
    for (const auto& u : t.uniques)
        parts.push_back(unique(u));
    for (const auto& fk : t.foreign_keys)
        parts.push_back(foreign_key(fk));
    for (const auto& c : t.checks)
        parts.push_back(check(c));
    return fmt::format("CREATE TABLE {} (\n    {}\n)", quote(as_name.empty() ? t.name : as_name), fmt::join(parts, ",\n    "));
}

std::string shape_ddl::create_index(std::string_view table, const index_shape& i, bool concurrently) const
{
    const std::string head = fmt::format("CREATE {}INDEX {}{} ON {}", i.unique ? "UNIQUE " : "", concurrently ? "CONCURRENTLY " : "",
                                         quote(i.name), quote(table));
    if (!i.definition.empty())  // PostgreSQL's own "USING btree (…) … WHERE …"
        return head + " " + i.definition;
    return head + " (" + quoted_list(i.columns) + ")" + (i.where.empty() ? "" : " WHERE " + i.where);
}

std::string shape_ddl::drop_index(const index_shape& i, bool concurrently) const
{
    return (concurrently ? "DROP INDEX CONCURRENTLY IF EXISTS " : "DROP INDEX ") + quote(i.name);
}

std::string shape_ddl::unique(const unique_shape& u) const
{
    return named(*this, u.constraint, "UNIQUE (" + quoted_list(u.columns) + ")");
}

std::string shape_ddl::foreign_key(const foreign_key_shape& fk) const
{
    // A table outside the compared schema comes as schema.table.
    const auto dot = fk.table.find('.');
    const std::string target = dot == std::string::npos ? quote(fk.table) : quote(fk.table.substr(0, dot)) + "." + quote(fk.table.substr(dot + 1));
    return named(*this, fk.constraint,
                 fmt::format("FOREIGN KEY ({}) REFERENCES {} ({}) ON DELETE {} ON UPDATE {}", quoted_list(fk.columns), target,
                             quoted_list(fk.referenced), fk.on_delete, fk.on_update));
}

std::string shape_ddl::check(const check_shape& c) const
{
    if (c.name.empty()) {
        std::vector<std::string> values;
        for (const auto& v : c.enum_values)
            values.push_back(query::detail::string_literal(v));
        return named(*this, c.constraint, fmt::format("CHECK ({} IN ({}))", quote(c.column), fmt::join(values, ", ")));
    }
    return named(*this, c.name,
                 "CHECK (" + std::string(without_outer_parentheses(c.condition_sql.empty() ? c.condition : c.condition_sql)) + ")");
}

}  // namespace keel::migrate::detail
