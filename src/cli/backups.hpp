#pragma once
// The backup a migrate command takes before it changes the database, and `migrate restore`.
#include <string>

#include <keel/core/task.hpp>

namespace keel::db {
class pool;
struct database_settings;
}
namespace keel::migrate {
struct migrate_settings;
}

namespace keel::cli {

struct command_line;
class progress_display;

/// The backup before a change (take_backup, named after `label`): says where it is and shows it
/// being written on `display` (if any). None for a database without tables (a first start).
task<void> backup_before_change(const db::pool& pool, const db::database_settings& database,
                                const migrate::migrate_settings& settings, std::string label, progress_display* display);

/// `migrate restore BACKUP [--yes]`: checks the backup, asks (or needs --yes), backs up the
/// database it replaces, restores with progress. Throws migrate::error.
int restore(const command_line& args, const db::database_settings& database, const migrate::migrate_settings& settings);

}  // namespace keel::cli
