// The live database's side of `migrate check`: its tables read from the catalog (SQLite's pragma
// functions, PostgreSQL's pg_catalog) through an ordinary session, into the shapes the models give.
#include <keel/migrate/schema.hpp>

#include <map>
#include <optional>
#include <regex>

#include <boost/describe/class.hpp>
#include <fmt/format.h>

#include <keel/db/session.hpp>

#include "migrate/shape.hpp"

namespace keel::migrate {

namespace {

using strings = std::vector<std::string>;

strings split_on(const std::string& text, char separator)
{
    strings out;
    if (text.empty())
        return out;
    std::size_t start = 0;
    for (std::size_t at; (at = text.find(separator, start)) != std::string::npos; start = at + 1)
        out.push_back(text.substr(start, at - start));
    out.push_back(text.substr(start));
    return out;
}

/// The string literals of `text`, in order ('it''s' read as it's).
strings literals(const std::string& text)
{
    strings out;
    static const std::regex literal("'((?:[^']|'')*)'");
    for (auto m = std::sregex_iterator(text.begin(), text.end(), literal); m != std::sregex_iterator(); ++m)
        out.push_back(std::regex_replace(m->str(1), std::regex("''"), "'"));
    return out;
}

// SQLite ------------------------------------------------------------------------------------------

struct sqlite_table {
    std::string name, sql;
};
BOOST_DESCRIBE_STRUCT(sqlite_table, (), (name, sql))
struct sqlite_column {
    std::string name, type;
    std::int64_t notnull = 0, pk = 0;
    std::optional<std::string> dflt_value;
};
BOOST_DESCRIBE_STRUCT(sqlite_column, (), (name, type, notnull, pk, dflt_value))
struct sqlite_index {
    std::string name, origin, sql;
    std::int64_t is_unique = 0;
};
BOOST_DESCRIBE_STRUCT(sqlite_index, (), (name, origin, sql, is_unique))
struct sqlite_foreign_key {
    std::int64_t id = 0;
    std::string target, column_name, on_update, on_delete;
    std::optional<std::string> referenced;
};
BOOST_DESCRIBE_STRUCT(sqlite_foreign_key, (), (id, target, column_name, on_update, on_delete, referenced))

/// CHECKs as keel writes them in CREATE TABLE: `CONSTRAINT "name" CHECK (…)` and a column's
/// enumeration `CHECK ("column" IN ('a', 'b'))`.
std::vector<check_shape> sqlite_checks(const std::string& create_table)
{
    std::vector<check_shape> out;
    static const std::regex named(R"re(CONSTRAINT\s+"((?:[^"]|"")+)"\s+CHECK\s*\()re", std::regex::icase);
    static const std::regex enumeration(R"re(CHECK\s*\(\s*"((?:[^"]|"")+)"\s+IN\s*\(((?:\s*'(?:[^']|'')*'\s*,?)+)\)\s*\))re",
                                        std::regex::icase);
    for (auto m = std::sregex_iterator(create_table.begin(), create_table.end(), named); m != std::sregex_iterator(); ++m) {
        const auto open = static_cast<std::size_t>(m->position(0) + m->length(0) - 1);
        const auto close = detail::matching_close(std::string_view(create_table).substr(open));
        const auto condition = close == std::string_view::npos ? std::string() : create_table.substr(open + 1, close - 1);
        out.push_back({m->str(1), "", {}, detail::normalise_sql(condition), m->str(1), condition});
    }
    for (auto m = std::sregex_iterator(create_table.begin(), create_table.end(), enumeration); m != std::sregex_iterator(); ++m)
        out.push_back({"", m->str(1), literals(m->str(2)), "", "", ""});
    return out;
}

struct sqlite_index_column {
    std::string index_name;
    std::optional<std::string> column_name;  // none for an expression
};
BOOST_DESCRIBE_STRUCT(sqlite_index_column, (), (index_name, column_name))

task<void> sqlite_indexes(db::session& s, table_shape& t)
{
    const auto indexes = co_await s.all<sqlite_index>(
        "SELECT il.name, il.origin, coalesce(m.sql, '') AS sql, il.\"unique\" AS is_unique FROM pragma_index_list($1) AS il "
        "LEFT JOIN sqlite_master AS m ON m.type = 'index' AND m.name = il.name ORDER BY il.name",
        t.name);
    const auto columns = co_await s.all<sqlite_index_column>(
        "SELECT il.name AS index_name, ii.name AS column_name FROM pragma_index_list($1) AS il, pragma_index_info(il.name) AS ii "
        "ORDER BY il.name, ii.seqno",
        t.name);
    for (const auto& i : indexes) {
        std::vector<std::string> names;
        for (const auto& c : columns)
            if (c.index_name == i.name)
                names.push_back(c.column_name.value_or("<expression>"));
        const auto where = i.sql.rfind(" WHERE ");
        if (i.origin == "u")
            t.uniques.push_back({std::move(names), ""});
        else if (i.origin == "c")
            t.indexes.push_back({i.name, std::move(names), i.is_unique != 0,
                                 where == std::string::npos ? "" : detail::normalise_sql(i.sql.substr(where + 7))});
    }
}

task<void> sqlite_foreign_keys(db::session& s, table_shape& t)
{
    const auto rows = co_await s.all<sqlite_foreign_key>(
        "SELECT id, \"table\" AS target, \"from\" AS column_name, on_update, on_delete, \"to\" AS referenced "
        "FROM pragma_foreign_key_list($1) ORDER BY id, seq",
        t.name);
    for (std::size_t i = 0; i < rows.size(); ++i) {
        if (i == 0 || rows[i].id != rows[i - 1].id)
            t.foreign_keys.push_back({{}, rows[i].target, {}, rows[i].on_delete, rows[i].on_update, ""});
        t.foreign_keys.back().columns.push_back(rows[i].column_name);
        t.foreign_keys.back().referenced.push_back(rows[i].referenced.value_or(""));
    }
}

task<schema_shape> introspect_sqlite(db::session& s)
{
    schema_shape out;
    const auto tables = co_await s.all<sqlite_table>(
        "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' "
        "AND name <> 'keel_revisions' ORDER BY name");
    for (const auto& table : tables) {
        table_shape t{table.name, {}, {}, {}, {}, {}, {}, sqlite_checks(table.sql)};
        std::vector<std::pair<std::int64_t, std::string>> key;
        for (const auto& c : co_await s.all<sqlite_column>("SELECT name, type, \"notnull\", pk, dflt_value FROM pragma_table_info($1)",
                                                           table.name)) {
            t.columns.push_back({c.name, c.type, c.notnull == 0 && c.pk == 0, detail::normalise_sql(c.dflt_value.value_or("")), false,
                                 c.dflt_value.value_or("")});
            if (c.pk > 0)
                key.emplace_back(c.pk, c.name);
        }
        std::sort(key.begin(), key.end());
        for (auto& [order, name] : key)
            t.primary_key.push_back(std::move(name));
        co_await sqlite_indexes(s, t);
        co_await sqlite_foreign_keys(s, t);
        out.push_back(std::move(t));
    }
    co_return out;
}

// PostgreSQL --------------------------------------------------------------------------------------

struct pg_column {
    std::string table_name, name, type, default_value;
    bool nullable = true, is_identity = false;
};
BOOST_DESCRIBE_STRUCT(pg_column, (), (table_name, name, type, default_value, nullable, is_identity))
struct pg_constraint {
    std::string table_name, name, kind, columns, target, referenced, on_delete, on_update, definition;
};
BOOST_DESCRIBE_STRUCT(pg_constraint, (), (table_name, name, kind, columns, target, referenced, on_delete, on_update, definition))
struct pg_index {
    std::string table_name, name, columns, predicate, definition;
    bool is_unique = false;
};
BOOST_DESCRIBE_STRUCT(pg_index, (), (table_name, name, columns, predicate, definition, is_unique))

// {0} is the namespace; {1} keeps to the tables of it that compare (not partitions, views or
// keel's version table), for a pg_class aliased c. Column lists come joined by chr(31) (a unit
// separator no identifier contains), in key order.
constexpr const char* pg_tables = "c.relnamespace = {0} AND c.relkind IN ('r', 'p') AND NOT c.relispartition "
                                  "AND c.relname <> 'keel_revisions'";
constexpr const char* pg_columns_sql =
    "SELECT c.relname::text AS table_name, a.attname::text AS name, format_type(a.atttypid, a.atttypmod) AS type, "
    "coalesce(pg_get_expr(d.adbin, d.adrelid), '') AS default_value, NOT a.attnotnull AS nullable, "
    "a.attidentity <> '' AS is_identity FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
    "LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
    "WHERE {1} AND a.attnum > 0 AND NOT a.attisdropped ORDER BY c.relname, a.attnum";
// A referenced table outside the namespace is named with its schema.
constexpr const char* pg_constraints_sql =
    "SELECT c.relname::text AS table_name, k.conname::text AS name, k.contype::text AS kind, "
    "coalesce((SELECT string_agg(a.attname, chr(31) ORDER BY u.i) FROM unnest(k.conkey) WITH ORDINALITY AS u(n, i) "
    "  JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.n), '') AS columns, "
    "coalesce(CASE WHEN f.relnamespace = {0} THEN f.relname::text "
    "  ELSE f.relnamespace::regnamespace::text || '.' || f.relname::text END, '') AS target, "
    "coalesce((SELECT string_agg(a.attname, chr(31) ORDER BY u.i) FROM unnest(k.confkey) WITH ORDINALITY AS u(n, i) "
    "  JOIN pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = u.n), '') AS referenced, "
    "k.confdeltype::text AS on_delete, k.confupdtype::text AS on_update, pg_get_constraintdef(k.oid) AS definition "
    "FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid LEFT JOIN pg_class f ON f.oid = k.confrelid "
    "WHERE {1} AND k.contype IN ('p', 'u', 'f', 'c') ORDER BY c.relname, k.conname";
// Key columns as the server prints them (a name, or an expression); the definition from USING on
// holds the method, orderings, operator classes, INCLUDE and the condition.
constexpr const char* pg_indexes_sql =
    "SELECT c.relname::text AS table_name, i.relname::text AS name, "
    "coalesce((SELECT string_agg(pg_get_indexdef(x.indexrelid, k, true), chr(31) ORDER BY k) "
    "  FROM generate_series(1, x.indnkeyatts) AS k), '') AS columns, "
    "coalesce(pg_get_expr(x.indpred, x.indrelid), '') AS predicate, "
    "coalesce(substring(pg_get_indexdef(x.indexrelid) from ' USING .*$'), '') AS definition, x.indisunique AS is_unique "
    "FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class c ON c.oid = x.indrelid "
    "WHERE {1} AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = x.indexrelid AND k.contype IN ('p', 'u', 'x'))";

std::string pg_action(const std::string& code)
{
    switch (code.empty() ? 'a' : code[0]) {
    case 'r': return "RESTRICT";
    case 'c': return "CASCADE";
    case 'n': return "SET NULL";
    case 'd': return "SET DEFAULT";
    default: return "NO ACTION";
    }
}

/// keel's enumeration CHECK ("status" IN ('a', 'b')) as PostgreSQL keeps it:
/// CHECK ((status = ANY (ARRAY['a'::text, 'b'::text]))), named TABLE_COLUMN_check when keel made
/// it (the name stays the old one when the table or column is renamed, so the form decides).
check_shape pg_check(const pg_constraint& k)
{
    const auto columns = split_on(k.columns, '\x1f');
    std::string condition = k.definition.starts_with("CHECK ") ? k.definition.substr(6) : k.definition;
    for (const std::string_view suffix : {" NOT VALID", " NO INHERIT"})  // not part of the condition
        if (condition.ends_with(suffix))
            condition.resize(condition.size() - suffix.size());
    const bool enumeration = columns.size() == 1 && (condition.starts_with("((" + columns[0] + " = ANY (ARRAY[") ||
                                                     condition.starts_with("((\"" + columns[0] + "\" = ANY (ARRAY["));
    if (enumeration)
        return {"", columns[0], literals(condition), "", k.name, ""};
    return {k.name, "", {}, detail::normalise_sql(condition), k.name, condition};
}

void add_constraint(table_shape& t, const pg_constraint& k)
{
    const auto columns = split_on(k.columns, '\x1f');
    if (k.kind == "p") {
        t.primary_key = columns;
        t.primary_key_constraint = k.name;
    } else if (k.kind == "u") {
        t.uniques.push_back({columns, k.name});
    } else if (k.kind == "f") {
        t.foreign_keys.push_back(
            {columns, k.target, split_on(k.referenced, '\x1f'), pg_action(k.on_delete), pg_action(k.on_update), k.name});
    } else {
        t.checks.push_back(pg_check(k));
    }
}

}  // namespace

namespace detail {

task<schema_shape> introspect_postgres(db::session& s, std::string_view pg_namespace)
{
    std::map<std::string, table_shape> tables;
    const auto table = [&](const std::string& name) -> table_shape& {
        auto& t = tables[name];
        t.name = name;
        return t;
    };
    const auto in_namespace = [&](const char* sql) {
        return fmt::format(fmt::runtime(sql), pg_namespace, fmt::format(fmt::runtime(pg_tables), pg_namespace));
    };
    for (const auto& c : co_await s.all<pg_column>(in_namespace(pg_columns_sql)))
        table(c.table_name).columns.push_back({c.name, c.type, c.nullable, normalise_sql(c.default_value), c.is_identity, c.default_value});
    for (const auto& k : co_await s.all<pg_constraint>(in_namespace(pg_constraints_sql)))
        add_constraint(table(k.table_name), k);
    for (const auto& i : co_await s.all<pg_index>(in_namespace(pg_indexes_sql)))
        table(i.table_name).indexes.push_back(
            {i.name, split_on(i.columns, '\x1f'), i.is_unique, normalise_sql(i.predicate), i.definition.substr(i.definition.empty() ? 0 : 1)});
    schema_shape out;
    for (auto& [name, t] : tables)
        out.push_back(std::move(t));
    co_return out;
}

}  // namespace detail

task<schema_shape> introspect(db::session& session)
{
    // Not `kind == sqlite ? co_await a : co_await b`: GCC 12 miscompiles co_await in both arms of ?:.
    schema_shape shape;
    if (session.kind() == db::backend::sqlite)
        shape = co_await introspect_sqlite(session);
    else if (co_await session.one<std::int64_t>("SELECT count(*) FROM (SELECT current_schema() AS s) AS q WHERE s IS NOT NULL") == 0)
        throw error("the database's search_path names no schema that exists, so there is no schema to compare");
    else
        shape = co_await detail::introspect_postgres(session, "current_schema()::regnamespace");
    detail::sort_shape(shape);
    co_return shape;
}

}  // namespace keel::migrate
