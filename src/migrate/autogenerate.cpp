// autogenerate: renames first, new tables, each table's changes in phases, dropped tables last;
// the downgrade is the same planning the other way round.
#include <keel/migrate/autogenerate.hpp>

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include <keel/db/session.hpp>

#include "migrate/plan.hpp"
#include "migrate/shape.hpp"

namespace keel::migrate {

namespace {

using detail::commented;
using detail::shape_ddl;

table_shape* find_table(schema_shape& shape, std::string_view name)
{
    const auto found = std::find_if(shape.begin(), shape.end(), [&](const auto& t) { return t.name == name; });
    return found == shape.end() ? nullptr : &*found;
}
const table_shape* find_table(const schema_shape& shape, std::string_view name)
{
    return find_table(const_cast<schema_shape&>(shape), name);
}

/// `sql` with the identifier `from` (bare or double-quoted, outside string literals) spelled `to`.
std::string rename_identifier(const std::string& sql, const std::string& from, const std::string& to)
{
    std::string out;
    for (std::size_t i = 0; i < sql.size();) {
        if (sql[i] == '\'') {
            const auto close = sql.find('\'', i + 1);  // '' inside reads as two literals: the same text
            const auto end = close == std::string::npos ? sql.size() : close + 1;
            out += sql.substr(i, end - i);
            i = end;
        } else if (sql.compare(i, from.size() + 2, '"' + from + '"') == 0) {
            out += '"' + to + '"';
            i += from.size() + 2;
        } else if (sql.compare(i, from.size(), from) == 0 && (i == 0 || !detail::word_char(sql[i - 1])) &&
                   (i + from.size() == sql.size() || !detail::word_char(sql[i + from.size()]))) {
            out += to;
            i += from.size();
        } else {
            out += sql[i++];
        }
    }
    return out;
}

void rename_in(std::vector<std::string>& names, const std::string& from, const std::string& to)
{
    std::replace(names.begin(), names.end(), from, to);
}

/// The shape after RENAME COLUMN: the databases rewrite the column's uses, and so does this.
void rename_column(schema_shape& shape, table_shape& t, const std::string& from, const std::string& to)
{
    for (auto& c : t.columns)
        if (c.name == from)
            c.name = to;
    rename_in(t.primary_key, from, to);
    for (auto& i : t.indexes) {
        rename_in(i.columns, from, to);
        i.where = rename_identifier(i.where, from, to);
        i.definition = rename_identifier(i.definition, from, to);
    }
    for (auto& u : t.uniques)
        rename_in(u.columns, from, to);
    for (auto& fk : t.foreign_keys)
        rename_in(fk.columns, from, to);
    for (auto& c : t.checks) {
        if (c.column == from)
            c.column = to;
        c.condition = rename_identifier(c.condition, from, to);
        c.condition_sql = rename_identifier(c.condition_sql, from, to);
    }
    for (auto& other : shape)
        for (auto& fk : other.foreign_keys)
            if (fk.table == t.name)
                rename_in(fk.referenced, from, to);
}

/// The renames `hints` names that apply (the old name present, the new one not yet), as
/// statements; `working` is changed as they change the database.
void apply_renames(const schema_shape& target, schema_shape& working, const renames& hints, const shape_ddl& ddl,
                   std::vector<std::string>& out)
{
    for (const auto& [from, to] : hints.tables) {
        auto* t = find_table(working, from);
        if (!t || find_table(working, to) || !find_table(target, to))
            continue;
        out.push_back(commented("renamed_from: a rename keeps the rows", fmt::format("ALTER TABLE {} RENAME TO {}", ddl.quote(from), ddl.quote(to))));
        t->name = to;
        for (auto& other : working)
            for (auto& fk : other.foreign_keys)
                if (fk.table == from)
                    fk.table = to;
    }
    for (const auto& [key, to] : hints.columns) {
        const auto& [table, from] = key;
        auto* t = find_table(working, table);
        const auto* wanted = find_table(target, table);
        if (!t || !wanted || !detail::find_column(*t, from) || detail::find_column(*t, to) || !detail::find_column(*wanted, to))
            continue;
        out.push_back(commented("renamed_from: a rename keeps the data", fmt::format("ALTER TABLE {} RENAME COLUMN {} TO {}",
                                                                                    ddl.quote(table), ddl.quote(from), ddl.quote(to))));
        rename_column(working, *t, from, to);
    }
    detail::sort_shape(working);
}

/// `tables` ordered so that each comes after the ones (of them) its foreign keys reference.
std::vector<const table_shape*> referenced_first(std::vector<const table_shape*> left)
{
    std::vector<const table_shape*> out;
    while (!left.empty()) {
        const auto ready = std::find_if(left.begin(), left.end(), [&](const table_shape* t) {
            return std::all_of(t->foreign_keys.begin(), t->foreign_keys.end(), [&](const auto& fk) {
                return fk.table == t->name ||
                       std::none_of(left.begin(), left.end(), [&](const table_shape* other) { return other->name == fk.table; });
            });
        });
        const auto next = ready == left.end() ? left.begin() : ready;  // a cycle: as they come
        out.push_back(*next);
        left.erase(next);
    }
    return out;
}

/// CREATE TABLE and its indexes. On PostgreSQL its foreign keys come later, with the others,
/// when what they reference exists; SQLite takes a reference to a table it does not have yet.
void create_table(const table_shape& t, const shape_ddl& ddl, std::vector<std::string>& out, detail::phases& later)
{
    table_shape now = t;
    if (ddl.dialect() == db::backend::postgresql) {
        for (const auto& fk : t.foreign_keys)
            later.add_foreign_keys.push_back("ALTER TABLE " + ddl.quote(t.name) + " ADD " + ddl.foreign_key(fk));
        now.foreign_keys.clear();
    }
    out.push_back(ddl.create_table(now));
    for (const auto& i : t.indexes)
        out.push_back(ddl.create_index(t.name, i));
}

void flag_possible_table_renames(const std::vector<const table_shape*>& added, const std::vector<const table_shape*>& dropped,
                                 std::vector<std::string>* review)
{
    if (!review)
        return;
    const auto names = [](const table_shape& t) {
        std::set<std::string> out;
        for (const auto& c : t.columns)
            out.insert(c.name);
        return out;
    };
    for (const auto* d : dropped) {
        review->push_back(fmt::format("table {} is dropped with its rows", d->name));
        for (const auto* a : added)
            if (names(*a) == names(*d))
                review->push_back(fmt::format("table {0} is dropped and {1} made with the same columns: if it was renamed, declare "
                                              "table(\"{1}\", …).renamed_from(\"{0}\") and generate the revision again",
                                              d->name, a->name));
    }
}

}  // namespace

renames renames::of(const metadata& models)
{
    renames out;
    for (const auto* t : models.tables()) {
        if (!t->renamed_from.empty())
            out.tables.emplace(t->renamed_from, t->name);
        for (const auto& c : t->columns)
            if (!c.renamed_from.empty())
                out.columns.emplace(std::pair(t->name, c.renamed_from), c.name);
    }
    return out;
}

renames renames::inverse() const
{
    renames out;
    for (const auto& [from, to] : tables)
        out.tables.emplace(to, from);
    for (const auto& [key, to] : columns) {
        const auto old_table = out.tables.find(key.first);
        out.columns.emplace(std::pair(old_table == out.tables.end() ? key.first : old_table->second, to), key.second);
    }
    return out;
}

std::vector<std::string> plan_changes(const schema_shape& target, const schema_shape& current, const renames& hints,
                                      db::backend dialect, std::vector<std::string>* review)
{
    const shape_ddl ddl(dialect);
    std::vector<std::string> out;
    schema_shape working = current;
    apply_renames(target, working, hints, ddl, out);
    std::vector<const table_shape*> added, dropped;
    detail::phases phases;
    for (const auto& t : target)
        if (const auto* before = find_table(working, t.name))
            detail::alter_table(t, *before, ddl, phases, review);
        else
            added.push_back(&t);
    for (const auto& t : working)
        if (!find_table(target, t.name))
            dropped.push_back(&t);
    flag_possible_table_renames(added, dropped, review);
    if (dialect == db::backend::postgresql)  // a dropped table's references go first: a key they use may be dropped before it
        for (const auto* t : dropped)
            for (const auto& fk : t->foreign_keys)
                if (!fk.constraint.empty())
                    phases.drop_foreign_keys.push_back("ALTER TABLE " + ddl.quote(t->name) + " DROP CONSTRAINT " + ddl.quote(fk.constraint));
    for (auto* part : {&phases.drop_foreign_keys, &phases.drop_constraints})
        out.insert(out.end(), part->begin(), part->end());
    for (const auto* t : referenced_first(added))
        create_table(*t, ddl, out, phases);
    for (auto* part : {&phases.columns, &phases.add_constraints, &phases.outside_drops, &phases.outside, &phases.after_validation,
                       &phases.add_foreign_keys, &phases.validate_foreign_keys, &phases.drop_columns})
        out.insert(out.end(), part->begin(), part->end());
    auto drops = referenced_first(dropped);
    std::reverse(drops.begin(), drops.end());
    for (const auto* t : drops)
        out.push_back(commented("drops the table's rows", "DROP TABLE " + ddl.quote(t->name)));
    return out;
}

task<generated_changes> autogenerate(db::session& session, const metadata& models)
{
    const auto declared = co_await model_shape(session, models);
    const auto live = co_await introspect(session);
    co_await session.rollback();
    generated_changes out;
    out.differences = compare(declared, live);
    if (out.differences.empty())
        co_return out;
    const auto hints = renames::of(models);
    out.upgrade = plan_changes(declared, live, hints, session.kind(), &out.review);
    out.downgrade = plan_changes(live, declared, hints.inverse(), session.kind(), &out.downgrade_review);
    co_return out;
}

}  // namespace keel::migrate
