#pragma once
// The backup an upgrade takes before it changes anything (the seed's pitfall: "running migrations
// manually on prod without backups"), and its restore.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <keel/core/task.hpp>

namespace keel::db {
class pool;
struct database_settings;
}

namespace keel::migrate {

struct migrate_settings;

/// Copies `database` into MIGRATE_BACKUP_DIR as NAME-YYYYMMDDTHHMMSSZ-LABEL and returns the path,
/// or nullopt when there is no copy to take this way (MIGRATE_BACKUP=false, an in-memory SQLite
/// database, PostgreSQL without MIGRATE_PG_DUMP).
/// - SQLite: VACUUM INTO, a consistent copy taken while others read and write (a .db file).
/// - PostgreSQL: MIGRATE_PG_DUMP (pg_dump) --format=custom, a .dump file for pg_restore; the
///   password travels in its environment, never its arguments; it must finish within
///   MIGRATE_STATEMENT_TIMEOUT. It blocks the calling thread: for commands and start-up only.
/// Throws migrate::error when the copy fails: an upgrade does not start without its backup.
/// `started`, when given, is called with the path as the copy begins (a progress display shows the
/// file growing). By value: the coroutine keeps it.
task<std::optional<std::filesystem::path>> take_backup(const db::pool& pool, const db::database_settings& database,
                                                       const migrate_settings& settings, std::string_view label,
                                                       std::function<void(const std::filesystem::path&)> started = {});

/// What a backup holds, read without changing it or the database.
struct backup_contents {
    std::vector<std::string> tables;     // the tables it makes, "schema.table" on PostgreSQL
    std::vector<std::string> revisions;  // its keel_revisions: where it stands (none: base)
};

/// Checks that `file` is a whole backup that `database`'s kind restores, and reads what it holds:
/// - SQLite: PRAGMA integrity_check on the file opened read-only;
/// - PostgreSQL: pg_restore (beside MIGRATE_PG_DUMP) reads its table of contents and keel_revisions.
/// Throws migrate::error saying what is wrong (missing, truncated, the other kind's, not a backup).
backup_contents verify_backup(const std::filesystem::path& file, const db::database_settings& database,
                              const migrate_settings& settings);

/// `done` of `total` units restored (SQLite: pages; PostgreSQL: bytes of pg_restore's script).
using restore_progress = std::function<void(std::uint64_t done, std::uint64_t total)>;

/// Makes `database` hold exactly what `file` (verified) holds, all or nothing:
/// - SQLite: the file's pages copied over the database in one write transaction (waiting at most
///   MIGRATE_LOCK_TIMEOUT for the write lock);
/// - PostgreSQL: pg_restore's script run by psql (beside MIGRATE_PG_DUMP) in one transaction that
///   first drops every object of the current schema (but an extension's); each lock waited for at
///   most MIGRATE_DDL_LOCK_TIMEOUT, each statement and the whole at most MIGRATE_STATEMENT_TIMEOUT.
/// Blocks the calling thread, like take_backup: for commands. Throws migrate::error; the database
/// is then as it was.
void restore_backup(const std::filesystem::path& file, const db::database_settings& database, const migrate_settings& settings,
                    const restore_progress& restored);

}  // namespace keel::migrate
