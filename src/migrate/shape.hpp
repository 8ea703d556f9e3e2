#pragma once
// What the two sides of `migrate check` share: normalising SQL fragments (defaults, conditions)
// so that equal meanings compare equal, sorting, and reading PostgreSQL's catalog for a namespace.
#include <string>
#include <string_view>

#include <keel/migrate/schema.hpp>

namespace keel::migrate::detail {

/// Outer parentheses, PostgreSQL's casts after a literal or name (`'x'::text`), quotes around
/// plain lower-case identifiers, case and spacing outside string literals: all dropped or made
/// one way. "('Ada'::text)" and "'Ada'" both become "'Ada'"; "\"deleted_at\" IS NULL" and
/// "(deleted_at IS NULL)" both "deleted_at is null".
std::string normalise_sql(std::string_view sql);

/// A letter, digit or underscore: part of an SQL word.
constexpr bool word_char(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'; }

/// The index of the ')' matching the '(' that `sql` starts with (quotes respected), or npos.
std::size_t matching_close(std::string_view sql);

/// `sql` without parentheses around the whole of it: "((now()))" is "now()".
std::string_view without_outer_parentheses(std::string_view sql);

/// Sorts the tables by name and, in each, the parts whose order does not matter.
void sort_shape(schema_shape& shape);

/// The tables of one PostgreSQL namespace, given as SQL ("current_schema()::regnamespace",
/// "pg_my_temp_schema()"), unsorted.
task<schema_shape> introspect_postgres(db::session& session, std::string_view pg_namespace);

}  // namespace keel::migrate::detail
