// CREATE TABLE and CREATE INDEX from a table model's metadata; type names, identity and now()
// come from the dialect.
#include <keel/query/ast.hpp>

#include "query/dialect/dialect.hpp"

namespace keel::query {

namespace {

using detail::dialect;

std::string references(const dialect& d, const model::foreign_key_info& fk)
{
    const model::table_info& target = fk.table();
    std::string out = " REFERENCES " + d.quote(target.name) + " (" + d.quote(target.by_member(fk.member)->name) + ")";
    if (fk.on_delete != model::fk_action::no_action)
        out += " ON DELETE " + std::string(detail::fk_action_sql(fk.on_delete));
    if (fk.on_update != model::fk_action::no_action)
        out += " ON UPDATE " + std::string(detail::fk_action_sql(fk.on_update));
    return out;
}

std::string default_clause(const dialect& d, const model::server_default_info& def)
{
    using kind = model::server_default_info::kind;
    if (def.what == kind::now)
        return " DEFAULT " + std::string(d.now());
    if (def.what == kind::expression)
        return " DEFAULT (" + def.expression + ")";
    return "";
}

std::string enumeration_check(const dialect& d, const model::column_info& column)
{
    if (column.type.kind != model::sql_kind::enumeration)
        return "";
    std::string out = " CHECK (" + d.quote(column.name) + " IN (";
    for (std::size_t i = 0; i < column.type.enum_values.size(); ++i)
        out += (i ? ", " : "") + detail::string_literal(column.type.enum_values[i]);  // DDL takes no parameters
    return out + "))";
}

std::string column_definition(const dialect& d, const model::column_info& column, const model::table_info& table)
{
    std::string out = d.quote(column.name) + " " + d.column_type(column.type);
    if (column.identity)
        out += d.identity(column, table);
    out += column.nullable ? "" : " NOT NULL";
    out += column.primary_key ? " PRIMARY KEY" : "";
    out += column.unique ? " UNIQUE" : "";
    out += default_clause(d, column.server_default);
    if (column.references)
        out += references(d, *column.references);
    return out + enumeration_check(d, column);
}

std::string quoted_list(const dialect& d, const std::vector<std::string>& names)
{
    std::string out;
    for (std::size_t i = 0; i < names.size(); ++i)
        out += (i ? ", " : "") + d.quote(names[i]);
    return out;
}

std::string create_table_sql(const dialect& d, const model::table_info& table)
{
    std::string sql = "CREATE TABLE IF NOT EXISTS " + d.quote(table.name) + " (";
    for (std::size_t i = 0; i < table.columns.size(); ++i)
        sql += (i ? ", " : "") + column_definition(d, table.columns[i], table);
    if (table.primary_key.size() > 1)
        sql += ", PRIMARY KEY (" + quoted_list(d, table.primary_key) + ")";
    for (const auto& check : table.checks)
        sql += ", CONSTRAINT " + d.quote(check.name) + " CHECK (" + check.condition + ")";
    return sql + ")";
}

std::string create_index_sql(const dialect& d, const model::table_info& table, const model::index_info& index)
{
    std::string sql = std::string("CREATE ") + (index.unique ? "UNIQUE " : "") + "INDEX IF NOT EXISTS " +
                      d.quote(index.name) + " ON " + d.quote(table.name) + " (" + quoted_list(d, index.columns) + ")";
    return index.where.empty() ? sql : sql + " WHERE " + index.where;
}

}  // namespace

std::string detail::string_literal(std::string_view text)
{
    std::string out = "'";
    for (char c : text)
        out += c == '\'' ? std::string("''") : std::string(1, c);
    return out + "'";
}

std::string_view detail::fk_action_sql(model::fk_action action)
{
    switch (action) {
    case model::fk_action::restrict: return "RESTRICT";
    case model::fk_action::cascade: return "CASCADE";
    case model::fk_action::set_null: return "SET NULL";
    case model::fk_action::set_default: return "SET DEFAULT";
    default: return "NO ACTION";
    }
}

std::vector<db::statement> create_table(const model::table_info& table, db::backend backend)
{
    const dialect& d = detail::dialect_for(backend);
    std::vector<db::statement> out;
    out.emplace_back(create_table_sql(d, table));
    for (const auto& index : table.indexes)
        out.emplace_back(create_index_sql(d, table, index));
    return out;
}

}  // namespace keel::query
