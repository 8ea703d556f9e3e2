#pragma once
// The backup an upgrade takes before it changes anything (the seed's pitfall: "running migrations
// manually on prod without backups").
#include <filesystem>
#include <functional>
#include <optional>
#include <string_view>

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

}  // namespace keel::migrate
