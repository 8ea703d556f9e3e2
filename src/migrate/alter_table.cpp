// One table's changes in each dialect: ALTER TABLE on PostgreSQL; on SQLite ALTER TABLE where it
// can (add, drop and rename a plain column; indexes) and a rebuild of the table where it cannot.
#include <algorithm>

#include <fmt/format.h>

#include <keel/migrate/revision.hpp>

#include "migrate/plan.hpp"
#include "migrate/shape.hpp"

namespace keel::migrate::detail {

namespace {

/// The items of `items` that `other` lacks.
template <class T>
std::vector<const T*> missing_from(const std::vector<T>& items, const std::vector<T>& other)
{
    std::vector<const T*> out;
    for (const auto& item : items)
        if (std::find(other.begin(), other.end(), item) == other.end())
            out.push_back(&item);
    return out;
}

bool contains(const std::vector<std::string>& names, const std::string& name)
{
    return std::find(names.begin(), names.end(), name) != names.end();
}

std::string alter(const shape_ddl& ddl, const table_shape& t) { return "ALTER TABLE " + ddl.quote(t.name) + " "; }

/// Columns dropped and added with the same type: likely one renamed without a renamed_from.
void flag_possible_renames(const table_shape& target, const table_shape& current, std::vector<std::string>* review)
{
    if (!review)
        return;
    for (const auto& dropped : current.columns) {
        if (find_column(target, dropped.name))
            continue;
        review->push_back(fmt::format("column {}.{} is dropped with its data", current.name, dropped.name));
        for (const auto& added : target.columns)
            if (!find_column(current, added.name) && added.type == dropped.type)
                review->push_back(fmt::format("column {0}.{1} is dropped and {0}.{2} added with the same type: if it was renamed, "
                                              "declare .renamed_from(\"{1}\") on {2} and generate the revision again",
                                              current.name, dropped.name, added.name));
    }
}

// PostgreSQL --------------------------------------------------------------------------------------

/// A statement run on its own, outside the revision's transaction, with the reason before it.
std::string outside(const std::string& why, const std::string& sql)
{
    return commented(std::string(no_transaction_marker.substr(3)) + "\n-- " + why, sql);
}

constexpr const char* concurrently_why = "CONCURRENTLY, outside the transaction: built while writes go on (a plain CREATE "
                                         "INDEX blocks every INSERT, UPDATE and DELETE on the table until it is done)";
constexpr const char* not_valid_why = "NOT VALID: new rows are checked from now on, under a brief lock; the existing rows are "
                                      "validated below without blocking writes";
constexpr const char* validate_why = "VALIDATE in a transaction of its own: reads the existing rows under a lock that lets "
                                     "writes go on";

/// A check or foreign key added to an existing table: NOT VALID, then validated on its own.
void add_validated(const std::string& at, const std::string& constraint, const std::string& clause, std::vector<std::string>& add,
                   std::vector<std::string>& validate)
{
    if (constraint.empty()) {  // no name to validate it by (never so for PostgreSQL's shapes)
        add.push_back(at + "ADD " + clause);
        return;
    }
    add.push_back(commented(not_valid_why, at + "ADD " + clause + " NOT VALID"));
    validate.push_back(outside(validate_why, at + "VALIDATE CONSTRAINT " + constraint));
}

/// SET NOT NULL scans the whole table under an exclusive lock unless a validated check already
/// proves it (PostgreSQL 12 and later): the check is added NOT VALID, validated, then dropped.
void set_not_null(const table_shape& t, const column_shape& c, const shape_ddl& ddl, phases& out)
{
    const std::string at = alter(ddl, t), check = ddl.quote("keel_" + t.name + "_" + c.name + "_not_null");
    add_validated(at, check, fmt::format("CONSTRAINT {} CHECK ({} IS NOT NULL)", check, ddl.quote(c.name)), out.add_constraints,
                  out.outside);
    out.after_validation.push_back(commented("SET NOT NULL through the validated check: no scan of the table under an exclusive lock",
                                             at + "ALTER COLUMN " + ddl.quote(c.name) + " SET NOT NULL"));
    out.after_validation.push_back(at + "DROP CONSTRAINT " + check);
}

void postgres_column(const column_shape& to, const column_shape& from, const table_shape& t, const shape_ddl& ddl, phases& out,
                     std::vector<std::string>* review)
{
    const std::string column = alter(ddl, t) + "ALTER COLUMN " + ddl.quote(to.name) + " ";
    const bool default_changes = to.default_value != from.default_value;
    if (from.identity && !to.identity)
        out.columns.push_back(column + "DROP IDENTITY");
    if (default_changes && !from.default_value.empty())
        out.columns.push_back(column + "DROP DEFAULT");  // before the type: the old default may not cast
    if (to.type != from.type) {
        // No USING: PostgreSQL's assignment cast refuses a value that does not fit (an explicit
        // cast to varchar(n) would cut it short).
        out.columns.push_back(commented("a new type rewrites the table under an exclusive lock (lint: table-rewrite)",
                                        column + "TYPE " + to.type));
        if (review)
            review->push_back(fmt::format("column {}.{} changes type from {} to {}: if PostgreSQL has no assignment cast "
                                          "between them, add USING with the conversion you mean",
                                          t.name, to.name, from.type, to.type));
    }
    if (default_changes && !to.default_value.empty())
        out.columns.push_back(column + "SET DEFAULT (" +
                              std::string(without_outer_parentheses(to.default_sql.empty() ? to.default_value : to.default_sql)) + ")");
    if (to.nullable && !from.nullable)
        out.columns.push_back(column + "DROP NOT NULL");
    if (!to.nullable && from.nullable && !to.identity)
        set_not_null(t, to, ddl, out);
    if (to.identity && !from.identity) {
        if (from.nullable)
            out.columns.push_back(column + "SET NOT NULL");
        out.columns.push_back(column + "ADD GENERATED ALWAYS AS IDENTITY");
        if (review)
            review->push_back(fmt::format("column {}.{} becomes an identity column numbered from 1: if the table has rows, "
                                          "add ALTER COLUMN … RESTART WITH a number past them",
                                          t.name, to.name));
    }
}

/// A unique constraint on an existing table: its index built CONCURRENTLY, then made the
/// constraint (USING INDEX: no second build, a brief lock).
void add_unique(const table_shape& t, const unique_shape& u, const shape_ddl& ddl, phases& out)
{
    if (u.constraint.empty()) {
        out.add_constraints.push_back(alter(ddl, t) + "ADD " + ddl.unique(u));
        return;
    }
    out.outside.push_back(outside(concurrently_why, fmt::format("CREATE UNIQUE INDEX CONCURRENTLY {} ON {} ({})", ddl.quote(u.constraint),
                                                                 ddl.quote(t.name), ddl.quoted_list(u.columns))));
    out.after_validation.push_back(alter(ddl, t) + fmt::format("ADD CONSTRAINT {0} UNIQUE USING INDEX {0}", ddl.quote(u.constraint)));
}

void postgres_alter(const table_shape& target, const table_shape& current, const shape_ddl& ddl, phases& out,
                    std::vector<std::string>* review)
{
    const std::string at = alter(ddl, target);
    const auto drop = [&](const std::string& constraint) { return at + "DROP CONSTRAINT " + ddl.quote(constraint); };
    for (const auto* fk : missing_from(current.foreign_keys, target.foreign_keys))
        out.drop_foreign_keys.push_back(drop(fk->constraint));
    for (const auto* c : missing_from(current.checks, target.checks))
        out.drop_constraints.push_back(drop(c->constraint));
    for (const auto* u : missing_from(current.uniques, target.uniques))
        out.drop_constraints.push_back(drop(u->constraint));
    for (const auto* i : missing_from(current.indexes, target.indexes))
        out.outside_drops.push_back(outside("CONCURRENTLY, outside the transaction: dropped without blocking reads and writes",
                                            ddl.drop_index(*i, true)));
    const bool key_changes = target.primary_key != current.primary_key;
    if (key_changes && !current.primary_key.empty())
        out.drop_constraints.push_back(drop(current.primary_key_constraint));
    for (const auto& c : target.columns)
        if (const auto* before = find_column(current, c.name))
            postgres_column(c, *before, target, ddl, out, review);
        else
            out.columns.push_back(at + "ADD COLUMN " + ddl.column(c, target));
    for (const auto& c : current.columns)
        if (!find_column(target, c.name))
            out.drop_columns.push_back(commented("drops the column's data", at + "DROP COLUMN " + ddl.quote(c.name)));
    if (key_changes && !target.primary_key.empty())
        out.add_constraints.push_back(at + "ADD " +
                                      (target.primary_key_constraint.empty() ? "" : "CONSTRAINT " + ddl.quote(target.primary_key_constraint) + " ") +
                                      "PRIMARY KEY (" + ddl.quoted_list(target.primary_key) + ")");
    for (const auto* u : missing_from(target.uniques, current.uniques))
        add_unique(target, *u, ddl, out);
    for (const auto* c : missing_from(target.checks, current.checks))
        add_validated(at, c->constraint.empty() ? "" : ddl.quote(c->constraint), ddl.check(*c), out.add_constraints, out.outside);
    for (const auto* i : missing_from(target.indexes, current.indexes))
        out.outside.push_back(outside(concurrently_why, ddl.create_index(target.name, *i, true)));
    for (const auto* fk : missing_from(target.foreign_keys, current.foreign_keys))
        add_validated(at, fk->constraint.empty() ? "" : ddl.quote(fk->constraint), ddl.foreign_key(*fk), out.add_foreign_keys,
                      out.validate_foreign_keys);
}

// SQLite ------------------------------------------------------------------------------------------

/// ALTER TABLE ADD COLUMN takes a column outside the key whose default is a constant, and a NOT
/// NULL one only with a default (lang_altertable.html#altertabaddcol).
bool sqlite_can_add(const column_shape& c, const table_shape& t)
{
    const bool constant_default = c.default_value.find('(') == std::string::npos && !c.default_value.starts_with("current_");
    return !contains(t.primary_key, c.name) && constant_default && (c.nullable || !c.default_value.empty());
}

bool mentions(const std::string& sql, const std::string& name) { return sql.find(name) != std::string::npos; }

/// DROP COLUMN refuses a column a key, constraint, index or condition uses (#altertabdropcol);
/// `t` is the table before, its indexes those it keeps (the others are dropped first).
bool sqlite_can_drop(const std::string& name, const table_shape& t)
{
    const auto uses = [&](const auto& items, auto&& in) { return std::any_of(items.begin(), items.end(), in); };
    return !contains(t.primary_key, name) && !uses(t.uniques, [&](const auto& u) { return contains(u.columns, name); }) &&
           !uses(t.foreign_keys, [&](const auto& fk) { return contains(fk.columns, name); }) &&
           !uses(t.checks, [&](const auto& c) { return c.column == name || mentions(c.condition, name); }) &&
           !uses(t.indexes, [&](const auto& i) { return contains(i.columns, name) || mentions(i.where, name); });
}

table_shape kept_indexes(const table_shape& current, const table_shape& target)
{
    table_shape out = current;
    std::erase_if(out.indexes, [&](const auto& i) { return std::find(target.indexes.begin(), target.indexes.end(), i) == target.indexes.end(); });
    return out;
}

/// Why the table must be rebuilt, or "" when ALTER TABLE can make every change.
std::string sqlite_rebuild_reason(const table_shape& target, const table_shape& current)
{
    if (target.primary_key != current.primary_key)
        return "the primary key changes";
    if (target.uniques != current.uniques || target.foreign_keys != current.foreign_keys || target.checks != current.checks)
        return "a unique constraint, foreign key or check changes";
    for (const auto& c : target.columns) {
        const auto* before = find_column(current, c.name);
        if (before && !(*before == c))
            return fmt::format("column {} changes (type, nullability or default)", c.name);
        if (!before && !sqlite_can_add(c, target))
            return fmt::format("column {} cannot be added by ALTER TABLE (a key, a NOT NULL without a default or a default "
                               "that is not a constant)", c.name);
    }
    for (const auto& c : current.columns)
        if (!find_column(target, c.name) && !sqlite_can_drop(c.name, kept_indexes(current, target)))
            return fmt::format("column {} is used by a key, constraint or index", c.name);
    return "";
}

/// Alembic's batch mode: a new table of the target shape, the rows copied, the old table dropped
/// and the new one renamed; the indexes made again (the migrator turns foreign keys off around
/// the revision and runs foreign_key_check before it commits).
void sqlite_rebuild(const table_shape& target, const table_shape& current, const std::string& reason, const shape_ddl& ddl,
                    phases& out, std::vector<std::string>* review)
{
    const std::string temporary = std::string(rebuild_table_prefix) + target.name;
    std::vector<std::string> kept;
    for (const auto& c : target.columns)
        if (find_column(current, c.name))
            kept.push_back(c.name);
        else if (!c.nullable && c.default_value.empty() && review)
            review->push_back(fmt::format("column {}.{} is NOT NULL without a default: copying the table's rows fails if it has "
                                          "any; give it a server default or fill it in a statement of your own",
                                          target.name, c.name));
    if (review)
        review->push_back(fmt::format("table {} is rebuilt: what keel does not compare (triggers, COLLATE, index orderings "
                                      "written by hand) is not carried over; add it to the revision",
                                      target.name));
    out.columns.push_back(commented(fmt::format("table {} is rebuilt, its rows copied: SQLite's ALTER TABLE cannot change it "
                                                "({})", target.name, reason),
                                    ddl.create_table(target, temporary)));
    out.columns.push_back(fmt::format("INSERT INTO {0} ({1}) SELECT {1} FROM {2}", ddl.quote(temporary), ddl.quoted_list(kept),
                                      ddl.quote(target.name)));
    out.columns.push_back("DROP TABLE " + ddl.quote(target.name));
    out.columns.push_back(fmt::format("ALTER TABLE {} RENAME TO {}", ddl.quote(temporary), ddl.quote(target.name)));
    for (const auto& i : target.indexes)
        out.add_constraints.push_back(ddl.create_index(target.name, i));
}

void sqlite_alter(const table_shape& target, const table_shape& current, const shape_ddl& ddl, phases& out,
                  std::vector<std::string>* review)
{
    if (const auto reason = sqlite_rebuild_reason(target, current); !reason.empty())
        return sqlite_rebuild(target, current, reason, ddl, out, review);
    const std::string at = alter(ddl, target);
    for (const auto* i : missing_from(current.indexes, target.indexes))
        out.drop_constraints.push_back(ddl.drop_index(*i));
    for (const auto& c : target.columns)
        if (!find_column(current, c.name))
            out.columns.push_back(at + "ADD COLUMN " + ddl.column(c, target));
    for (const auto& c : current.columns)
        if (!find_column(target, c.name))
            out.drop_columns.push_back(commented("drops the column's data", at + "DROP COLUMN " + ddl.quote(c.name)));
    for (const auto* i : missing_from(target.indexes, current.indexes))
        out.add_constraints.push_back(ddl.create_index(target.name, *i));
}

}  // namespace

std::string commented(const std::string& note, const std::string& sql) { return "-- " + note + "\n" + sql; }

const column_shape* find_column(const table_shape& t, std::string_view name)
{
    const auto found = std::find_if(t.columns.begin(), t.columns.end(), [&](const auto& c) { return c.name == name; });
    return found == t.columns.end() ? nullptr : &*found;
}

void alter_table(const table_shape& target, const table_shape& current, const shape_ddl& ddl, phases& out,
                 std::vector<std::string>* review)
{
    flag_possible_renames(target, current, review);
    if (ddl.dialect() == db::backend::sqlite)
        sqlite_alter(target, current, ddl, out, review);
    else
        postgres_alter(target, current, ddl, out, review);
}

}  // namespace keel::migrate::detail
