#pragma once
// A long statement of a revision run so that it says how far it has got: a SQLite rebuild's copy
// in slices of rows, a PostgreSQL index build watched from a second connection.
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include <keel/core/task.hpp>
#include <keel/migrate/migrator.hpp>

namespace keel::db {
class pool;
class session;
}

namespace keel::migrate::detail {

using progress_report = std::function<void(const statement_progress&)>;

/// The table (quoted) that a SQLite rebuild's copy reads, alter_table's `INSERT INTO
/// "_keel_rebuild_t" (…) SELECT … FROM "t"`; nullopt for any other statement.
std::optional<std::string> rebuild_copy_source(std::string_view sql);

/// Runs the rebuild's copy `sql` (from `source`) in slices of rows by rowid, in `session`'s
/// transaction, reporting the rows copied after each; a table without usable rowids is copied whole.
task<void> copy_in_slices(db::session& session, const std::string& sql, const std::string& source, const progress_report& report);

/// Whether `sql` is a CREATE [UNIQUE] INDEX.
bool builds_index(std::string_view sql);

/// Runs `sql` on `session` while reading its build's progress (pg_stat_progress_create_index)
/// about once a second on `reader`; a reader that fails is reported once and no longer read.
task<void> execute_reporting_index_build(db::session& session, const db::pool& reader, const std::string& sql,
                                         const progress_report& report);

}  // namespace keel::migrate::detail
