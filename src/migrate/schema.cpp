// The models' side of `migrate check` (the shape their DDL gives in each dialect) and the comparison.
#include <keel/migrate/schema.hpp>

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include <keel/db/errors.hpp>
#include <keel/db/session.hpp>
#include <keel/query/ast.hpp>

#include "migrate/shape.hpp"
#include "query/dialect/dialect.hpp"

namespace keel::migrate {

namespace {

std::string default_sql(const query::detail::dialect& d, const model::column_info& column)
{
    using kind = model::server_default_info::kind;
    switch (column.server_default.what) {
    case kind::now: return std::string(d.now());
    case kind::expression: return column.server_default.expression;
    default: return "";
    }
}

/// SQLite's side: what pragma_table_info and friends report for the DDL keel writes. SQLite numbers
/// a table's single INTEGER PRIMARY KEY by itself, so identity is not compared there (the type and
/// the key are).
table_shape sqlite_table_of(const model::table_info& t)
{
    const auto& d = query::detail::sqlite_dialect();
    table_shape out{t.name, {}, t.primary_key, "", {}, {}, {}, {}};
    for (const auto& c : t.columns) {
        const auto written = default_sql(d, c);
        out.columns.push_back({c.name, d.column_type(c.type), c.nullable && !c.primary_key, detail::normalise_sql(written), false, written});
        if (c.unique && !c.primary_key)
            out.uniques.push_back({{c.name}, ""});
        if (c.references) {
            const auto& target = c.references->table();
            out.foreign_keys.push_back({{c.name}, target.name, {target.by_member(c.references->member)->name},
                                        std::string(query::detail::fk_action_sql(c.references->on_delete)),
                                        std::string(query::detail::fk_action_sql(c.references->on_update)), ""});
        }
        if (c.type.kind == model::sql_kind::enumeration)
            out.checks.push_back({"", c.name, c.type.enum_values, "", "", ""});
    }
    for (const auto& i : t.indexes)
        out.indexes.push_back({i.name, i.columns, i.unique, detail::normalise_sql(i.where), ""});
    for (const auto& c : t.checks)
        out.checks.push_back({c.name, "", {}, detail::normalise_sql(c.condition), c.name, c.condition});
    return out;
}

template <class T>
std::string listed(const std::vector<T>& items)
{
    return fmt::format("({})", fmt::join(items, ", "));
}

std::string describe(const foreign_key_shape& fk)
{
    return fmt::format("foreign key {} → {}{} ON DELETE {} ON UPDATE {}", listed(fk.columns), fk.table, listed(fk.referenced),
                       fk.on_delete, fk.on_update);
}
std::string describe(const unique_shape& unique) { return "unique constraint " + listed(unique.columns); }
std::string describe(const check_shape& c)
{
    return c.name.empty() ? fmt::format("enumeration check on {} {}", c.column, listed(c.enum_values))
                          : fmt::format("check constraint {} ({})", c.name, c.condition);
}
std::string describe(const index_shape& i)
{
    return fmt::format("{}index {} {}{}{}", i.unique ? "unique " : "", i.name, listed(i.columns), i.where.empty() ? "" : " WHERE " + i.where,
                       i.definition.empty() ? "" : " [" + i.definition + "]");
}

/// Items of one kind that only one side has (both sides sorted, compared whole).
template <class T>
void compare_sets(const std::string& table, const std::vector<T>& models, const std::vector<T>& database, std::vector<std::string>& out)
{
    for (const auto& item : models)
        if (std::find(database.begin(), database.end(), item) == database.end())
            out.push_back(fmt::format("table {}: {}: in the models, not in the database", table, describe(item)));
    for (const auto& item : database)
        if (std::find(models.begin(), models.end(), item) == models.end())
            out.push_back(fmt::format("table {}: {}: in the database, not in the models", table, describe(item)));
}

void compare_column(const std::string& table, const column_shape& m, const column_shape& d, std::vector<std::string>& out)
{
    const auto where = fmt::format("column {}.{}", table, m.name);
    if (m.type != d.type)
        out.push_back(fmt::format("{}: type {} in the models, {} in the database", where, m.type, d.type));
    if (m.nullable != d.nullable)
        out.push_back(fmt::format("{}: {} in the models, {} in the database", where, m.nullable ? "NULL" : "NOT NULL",
                                  d.nullable ? "NULL" : "NOT NULL"));
    if (m.default_value != d.default_value)
        out.push_back(fmt::format("{}: default {} in the models, {} in the database", where,
                                  m.default_value.empty() ? "none" : m.default_value, d.default_value.empty() ? "none" : d.default_value));
    if (m.identity != d.identity)
        out.push_back(fmt::format("{}: {}an identity column in the models, {}in the database", where, m.identity ? "" : "not ",
                                  d.identity ? "" : "not "));
}

void compare_table(const table_shape& m, const table_shape& d, std::vector<std::string>& out)
{
    for (const auto& column : m.columns) {
        const auto found = std::find_if(d.columns.begin(), d.columns.end(), [&](const auto& c) { return c.name == column.name; });
        if (found == d.columns.end())
            out.push_back(fmt::format("column {}.{}: in the models, not in the database", m.name, column.name));
        else
            compare_column(m.name, column, *found, out);
    }
    for (const auto& column : d.columns)
        if (std::none_of(m.columns.begin(), m.columns.end(), [&](const auto& c) { return c.name == column.name; }))
            out.push_back(fmt::format("column {}.{}: in the database, not in the models", m.name, column.name));
    if (m.primary_key != d.primary_key)
        out.push_back(fmt::format("table {}: primary key {} in the models, {} in the database", m.name, listed(m.primary_key),
                                  listed(d.primary_key)));
    compare_sets(m.name, m.indexes, d.indexes, out);
    compare_sets(m.name, m.uniques, d.uniques, out);
    compare_sets(m.name, m.foreign_keys, d.foreign_keys, out);
    compare_sets(m.name, m.checks, d.checks, out);
}

/// The tables in an order where each comes after those its foreign keys reference (a cycle
/// keeps the declared order for what is left).
std::vector<const model::table_info*> referenced_first(const metadata& models)
{
    std::vector<const model::table_info*> left = models.tables(), out;
    while (!left.empty()) {
        const auto ready = std::find_if(left.begin(), left.end(), [&](const model::table_info* t) {
            return std::all_of(t->columns.begin(), t->columns.end(), [&](const model::column_info& c) {
                const auto* target = c.references ? &c.references->table() : nullptr;
                return !target || target == t || std::find(left.begin(), left.end(), target) == left.end();
            });
        });
        const auto next = ready == left.end() ? left.begin() : ready;
        out.push_back(*next);
        left.erase(next);
    }
    return out;
}

}  // namespace

task<schema_shape> model_shape(db::session& session, const metadata& models)
{
    schema_shape out;
    if (session.kind() == db::backend::sqlite) {
        for (const auto* table : models.tables())
            out.push_back(sqlite_table_of(*table));
    } else {
        // pg_temp first in the path: the models' tables are made there, and a reference finds the
        // temporary table (which must be made before the tables that reference it).
        co_await session.execute("SELECT set_config('search_path', concat_ws(', ', 'pg_temp', "
                                 "nullif(current_setting('search_path'), '')), true)");
        std::exception_ptr failure;
        try {
            for (const auto* table : referenced_first(models))
                for (const auto& statement : query::create_table(*table, db::backend::postgresql))
                    co_await session.execute(statement.sql);
            out = co_await detail::introspect_postgres(session, "pg_my_temp_schema()");
        } catch (const db::error& e) {
            failure = std::make_exception_ptr(error(std::string("PostgreSQL refuses the models' tables: ") + e.what()));
        }
        co_await session.rollback();
        if (failure)
            std::rethrow_exception(failure);
    }
    detail::sort_shape(out);
    co_return out;
}

std::vector<std::string> compare(const schema_shape& models, const schema_shape& database)
{
    std::vector<std::string> out;
    std::map<std::string_view, const table_shape*> live;
    for (const auto& t : database)
        live.emplace(t.name, &t);
    for (const auto& t : models) {
        const auto found = live.find(t.name);
        if (found == live.end()) {
            out.push_back(fmt::format("table {}: in the models, not in the database", t.name));
            continue;
        }
        compare_table(t, *found->second, out);
        live.erase(found);
    }
    for (const auto& [name, table] : live)
        out.push_back(fmt::format("table {}: in the database, not in the models", name));
    return out;
}

task<std::vector<std::string>> differences(db::session& session, const metadata& models)
{
    const auto declared = co_await model_shape(session, models);
    const auto live = co_await introspect(session);
    co_await session.rollback();
    co_return compare(declared, live);
}

}  // namespace keel::migrate
