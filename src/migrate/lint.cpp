// migrate lint: each statement read for what locks or rewrites a table, breaks the running code or
// loses data; the locking findings graded by the table's live size.
#include <keel/migrate/lint.hpp>

#include <algorithm>
#include <regex>
#include <set>

#include <boost/describe/class.hpp>
#include <fmt/format.h>

#include <keel/db/session.hpp>

#include "core/ascii.hpp"
#include "migrate/plan.hpp"

namespace keel::migrate {

namespace {

// An identifier, quoted or not, maybe schema-qualified (the table's own name is what counts).
constexpr const char* ident = R"re((?:(?:"(?:[^"]|"")+"|[A-Za-z_][\w$]*)\s*\.\s*)?("(?:[^"]|"")+"|[A-Za-z_][\w$]*))re";

std::regex pattern(const std::string& text) { return std::regex(text, std::regex::icase | std::regex::ECMAScript); }

/// The name as the database keeps it: quotes removed, or folded to lower case.
std::string unquoted(const std::string& name)
{
    if (name.size() >= 2 && name.front() == '"')
        return std::regex_replace(name.substr(1, name.size() - 2), std::regex("\"\""), "\"");
    std::string out = name;
    for (char& c : out)
        c = keel::detail::ascii_lower(c);
    return out;
}

/// The statement without its comments, on one line; and the rules its comments accept.
struct statement_text {
    std::string code;
    std::set<std::string> accepted;
};

statement_text read_statement(const std::string& sql)
{
    static const std::regex accept = pattern(R"re(^\s*--\s*keel:\s*accept\s+(.*)$)re"), rule(R"([\w-]+)");
    statement_text out;
    std::size_t start = 0;
    while (start < sql.size()) {
        const auto end = std::min(sql.find('\n', start), sql.size());
        const std::string line = sql.substr(start, end - start);
        std::smatch m;
        if (std::regex_match(line, m, accept)) {
            const std::string rules = m[1];
            for (auto r = std::sregex_iterator(rules.begin(), rules.end(), rule); r != std::sregex_iterator(); ++r)
                out.accepted.insert(r->str());
        }
        const auto comment = line.find("--");  // a statement keel lints carries its comments on lines of their own
        out.code += (comment == std::string::npos ? line : line.substr(0, comment)) + " ";
        start = end + 1;
    }
    out.code = std::regex_replace(out.code, std::regex(R"(\s+)"), " ");
    return out;
}

/// What one statement does to which table, for the rules.
struct linter {
    const table_rows& rows;
    const lint_options& options;
    std::set<std::string> new_tables;  // made earlier in the plan
    std::set<std::string> rebuilding;  // SQLite tables whose rebuild (rebuild_table_prefix) has begun
    std::map<std::pair<std::string, std::string>, std::string> not_null_checks;  // (table, column) → its CHECK's name
    std::set<std::pair<std::string, std::string>> validated;                      // (table, constraint)
    std::vector<finding> out;

    void add(const step& s, std::size_t number, const statement_text& text, std::string rule, risk level, std::string message)
    {
        out.push_back({s.target, number, rule, level, std::move(message), text.accepted.contains(rule)});
    }

    /// Locking rules: nothing on a table the plan made; high on a big one.
    void locking(const step& s, std::size_t number, const statement_text& text, const std::string& table, const char* rule,
                 const std::string& what)
    {
        if (options.dialect != db::backend::postgresql || new_tables.contains(table))
            return;
        const auto found = rows.find(table);
        const bool big = found != rows.end() && found->second >= options.big_table_rows;
        add(s, number, text, rule, big ? risk::high : risk::medium,
            fmt::format("{} on {} ({} rows)", what, table, found == rows.end() ? std::string("unknown") : std::to_string(found->second)));
    }

    bool in_models(const std::string& table, const std::string* column = nullptr) const
    {
        if (!options.models)
            return false;
        return std::any_of(options.models->tables().begin(), options.models->tables().end(), [&](const model::table_info* t) {
            return t->name == table && (!column || t->find(*column));
        });
    }

    /// SET NOT NULL needs no scan once a CHECK (column IS NOT NULL) of the table is validated.
    bool proven_not_null(const std::string& table, const std::string& column) const
    {
        const auto check = not_null_checks.find({table, column});
        return check != not_null_checks.end() && validated.contains({table, check->second});
    }

    void statement(const step& s, std::size_t number, const std::string& sql);
    void alter_table(const step& s, std::size_t number, const statement_text& text, const std::string& table, const std::string& actions);
    void locking_actions(const step& s, std::size_t number, const statement_text& text, const std::string& table,
                         const std::string& actions);
};

void linter::statement(const step& s, std::size_t number, const std::string& sql)
{
    static const std::regex create_table = pattern(std::string(R"(^\s*CREATE\s+(?:TEMP\w*\s+|UNLOGGED\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?)") + ident);
    static const std::regex create_index = pattern(std::string(R"(^\s*CREATE\s+(UNIQUE\s+)?INDEX\s+(CONCURRENTLY\s+)?(?:IF\s+NOT\s+EXISTS\s+)?(?:)") +
                                                   ident + R"(\s+)?ON\s+(?:ONLY\s+)?)" + ident);
    static const std::regex alter = pattern(std::string(R"(^\s*ALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?(?:ONLY\s+)?)") + ident + R"(\s+(.*)$)");
    static const std::regex drop_table = pattern(std::string(R"(^\s*DROP\s+TABLE\s+(?:IF\s+EXISTS\s+)?)") + ident);
    const auto text = read_statement(sql);
    std::smatch m;
    if (std::regex_search(text.code, m, create_table)) {
        const auto table = unquoted(m[1]);
        new_tables.insert(table);
        if (table.starts_with(detail::rebuild_table_prefix))
            rebuilding.insert(table.substr(detail::rebuild_table_prefix.size()));
    } else if (std::regex_search(text.code, m, create_index)) {
        if (!m[2].matched)
            locking(s, number, text, unquoted(m[4]), "non-concurrent-index",
                    "CREATE INDEX without CONCURRENTLY blocks every write to the table while it builds; use CREATE INDEX "
                    "CONCURRENTLY after a `-- keel: no-transaction` line");
    } else if (std::regex_search(text.code, m, alter)) {
        alter_table(s, number, text, unquoted(m[1]), m[2]);
    } else if (std::regex_search(text.code, m, drop_table)) {
        const auto table = unquoted(m[1]);
        if (rebuilding.erase(table) > 0)
            return;  // the old copy of a table being rebuilt: its rows are in the new one
        if (in_models(table))
            add(s, number, text, "drop-table-in-models", risk::high,
                fmt::format("DROP TABLE {}: the models still have it, so the running application fails on it", table));
        else if (!new_tables.contains(table))
            add(s, number, text, "drop-table", risk::medium, fmt::format("DROP TABLE {} loses its rows (the backup keeps them)", table));
    }
}

/// What ALTER TABLE's actions are read for.
struct alter_patterns {
    // "ALTER COLUMN c TYPE t" or "ALTER c TYPE t" (not "ALTER COLUMN type SET NOT NULL").
    std::regex type = pattern(std::string(R"(\bALTER\s+(?:COLUMN\s+|(?!COLUMN\b)))") + ident + R"(\s+(?:SET\s+DATA\s+)?TYPE\s+\S)");
    std::regex constraint = pattern(R"(\bADD\s+(?:CONSTRAINT\s+\S+\s+)?(FOREIGN\s+KEY|CHECK)\b)");
    std::regex not_null_check =
        pattern(std::string(R"(\bADD\s+CONSTRAINT\s+)") + ident + R"(\s+CHECK\s*\(\s*)" + ident + R"(\s+IS\s+NOT\s+NULL\s*\))");
    std::regex key = pattern(R"(\bADD\s+(?:CONSTRAINT\s+\S+\s+)?(PRIMARY\s+KEY|UNIQUE)\b)");
    std::regex column_key = pattern(std::string(R"(\bADD\s+(?:COLUMN\s+)?(?!CONSTRAINT\b|PRIMARY\b|UNIQUE\b|FOREIGN\b|CHECK\b))") +
                                    ident + R"(\s[^,]*\b(PRIMARY\s+KEY|UNIQUE)\b)");
    std::regex set_not_null = pattern(std::string(R"(\bALTER\s+(?:COLUMN\s+)?)") + ident + R"(\s+SET\s+NOT\s+NULL\b)");
    std::regex volatile_default = pattern(
        R"(\bADD\s+(?!GENERATED\b|CONSTRAINT\b)(?:COLUMN\s+)?\S+\s[^,]*(\bDEFAULT\s*\(?\s*(?:random|clock_timestamp|gen_random_uuid|uuid_generate_v\d|nextval|timeofday)\s*\(|GENERATED\s+[^,]*\b(?:STORED|IDENTITY)\b))");
    std::regex drop_column = pattern(std::string(R"((?:^|,)\s*DROP\s+(?!CONSTRAINT\b)(?:COLUMN\s+)?(?:IF\s+EXISTS\s+)?)") + ident);
    std::regex not_valid = pattern(R"(\bNOT\s+VALID\b)");
    std::regex rename = pattern(R"(^RENAME\b)");
    std::regex validate = pattern(std::string(R"(\bVALIDATE\s+CONSTRAINT\s+)") + ident);
    std::regex rename_to = pattern(std::string(R"(^RENAME\s+TO\s+)") + ident);

    static const alter_patterns& get()
    {
        static const alter_patterns patterns;
        return patterns;
    }
};

void linter::alter_table(const step& s, std::size_t number, const statement_text& text, const std::string& table, const std::string& actions)
{
    locking_actions(s, number, text, table, actions);
    const auto& p = alter_patterns::get();
    std::smatch m;
    if (std::regex_search(actions, m, p.drop_column)) {
        const auto column = unquoted(m[1]);
        if (in_models(table, &column))
            add(s, number, text, "drop-column-in-models", risk::high,
                fmt::format("DROP COLUMN {}.{}: the models still have it, so the running application fails on it", table, column));
    }
    if (std::regex_search(actions, p.rename) && !new_tables.contains(table))
        add(s, number, text, "rename", risk::medium,
            fmt::format("a rename in {} breaks the code still running on the old name until every instance is replaced", table));
    if (std::regex_search(actions, m, p.rename_to) && new_tables.contains(table) && !table.starts_with(detail::rebuild_table_prefix))
        new_tables.insert(unquoted(m[1]));  // a rebuilt table, named as before, is the table that was there
}

void linter::locking_actions(const step& s, std::size_t number, const statement_text& text, const std::string& table,
                             const std::string& actions)
{
    const auto& p = alter_patterns::get();
    std::smatch m;
    if (std::regex_search(actions, m, p.type))
        locking(s, number, text, table, "table-rewrite", "ALTER COLUMN … TYPE rewrites the table under an exclusive lock");
    if (std::regex_search(actions, m, p.constraint) && !std::regex_search(actions, p.not_valid))
        locking(s, number, text, table, "validating-constraint",
                "ADD " + m.str(1) + " reads every row under a lock; add it NOT VALID, then VALIDATE CONSTRAINT on its own");
    if (std::regex_search(actions, m, p.not_null_check))
        not_null_checks[{table, unquoted(m[2])}] = unquoted(m[1]);
    if ((std::regex_search(actions, m, p.key) && actions.find("USING INDEX") == std::string::npos) ||
        std::regex_search(actions, m, p.column_key))
        locking(s, number, text, table, "index-under-lock",
                "ADD " + m.str(m.size() - 1) + " builds its index under an exclusive lock; build it CONCURRENTLY and add the "
                "constraint USING INDEX");
    if (std::regex_search(actions, m, p.validate))
        validated.insert({table, unquoted(m[1])});
    if (std::regex_search(actions, m, p.set_not_null) && !proven_not_null(table, unquoted(m[1])))
        locking(s, number, text, table, "not-null-scan",
                "SET NOT NULL scans the table under an exclusive lock; validate a CHECK (column IS NOT NULL) first");
    if (std::regex_search(actions, m, p.volatile_default))
        locking(s, number, text, table, "volatile-default", "ADD COLUMN with a volatile default or a generated value rewrites the table");
}

struct table_row_count {
    std::string name;
    std::int64_t rows = 0;
};
BOOST_DESCRIBE_STRUCT(table_row_count, (), (name, rows))

}  // namespace

task<table_rows> live_table_rows(db::session& session)
{
    table_rows out;
    if (session.kind() != db::backend::postgresql)
        co_return out;  // the locking rules are PostgreSQL's
    // reltuples is -1 for a table never analysed or vacuumed: then its pages say it is empty or not.
    for (auto& t : co_await session.all<table_row_count>(
             "SELECT c.relname::text AS name, CASE WHEN c.reltuples >= 0 THEN c.reltuples::bigint "
             "ELSE (pg_relation_size(c.oid) / 8192 * 100)::bigint END AS rows FROM pg_class c "
             "WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p')"))
        out.emplace(std::move(t.name), t.rows);
    co_return out;
}

std::vector<finding> lint(const std::vector<step>& plan, const table_rows& rows, const lint_options& options)
{
    linter l{rows, options, {}, {}, {}, {}, {}};
    for (const auto& s : plan) {
        const auto& statements = s.upgrade ? s.target->upgrade : s.target->downgrade;
        for (std::size_t i = 0; i < statements.size(); ++i)
            l.statement(s, i + 1, statements[i]);
    }
    return std::move(l.out);
}

std::string describe(const finding& f)
{
    return fmt::format("revision {} statement {} ({}{}, {}): {}", f.in ? f.in->id : "?", f.statement, f.level == risk::high ? "high" : "medium",
                       f.accepted ? ", accepted" : "", f.rule, f.message);
}

void refuse_unaccepted(const std::vector<finding>& findings)
{
    std::string refused;
    for (const auto& f : findings)
        if (f.level == risk::high && !f.accepted)
            refused += "\n  " + describe(f);
    if (!refused.empty())
        throw error("lint refuses the upgrade: a high-risk finding the revision does not accept:" + refused +
                    "\nUse the safe form (revision --autogenerate writes it), or accept the risk with a line `-- keel: accept RULE` "
                    "before the statement.");
}

}  // namespace keel::migrate
