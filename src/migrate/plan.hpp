#pragma once
// The parts of autogenerate's plan: each table's changes sorted into phases that run in order
// across all tables, so that no statement needs what a later one makes (a foreign key is added
// after the column and the key it references; one is dropped before what it references).
#include <string>
#include <vector>

#include <keel/migrate/schema.hpp>

#include "migrate/shape_ddl.hpp"

namespace keel::migrate::detail {

struct phases {
    std::vector<std::string> drop_foreign_keys, drop_constraints, columns, add_constraints, add_foreign_keys;
    /// PostgreSQL's non-blocking forms on existing tables: statements outside the transaction
    /// (indexes built or dropped CONCURRENTLY, checks added NOT VALID validated), then what needs
    /// them done (SET NOT NULL through the validated check, a unique constraint on its index),
    /// then foreign keys (which may need those keys), validated on their own.
    std::vector<std::string> outside_drops, outside, after_validation, validate_foreign_keys;
    /// Columns dropped last, in the final transaction: a step above that fails (a check the rows
    /// break) must not find the data already gone.
    std::vector<std::string> drop_columns;
};

/// A SQLite table being rebuilt is made under this prefix and its name first (lint knows it).
inline constexpr std::string_view rebuild_table_prefix = "_keel_rebuild_";

/// "-- NOTE\nSQL": a statement with the comment a reviewer reads before it.
std::string commented(const std::string& note, const std::string& sql);

const column_shape* find_column(const table_shape& t, std::string_view name);

/// Sorts the statements that change `current` into `target` (one table, both present) into `out`;
/// what a person must confirm goes to `review` when it is not null.
void alter_table(const table_shape& target, const table_shape& current, const shape_ddl& ddl, phases& out,
                 std::vector<std::string>* review);

}  // namespace keel::migrate::detail
