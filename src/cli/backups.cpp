#include "cli/backups.hpp"

#include <unistd.h>

#include <cstdio>
#include <iostream>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <keel/cli/service.hpp>
#include <keel/core/log.hpp>
#include <keel/db/pool.hpp>
#include <keel/db/session.hpp>
#include <keel/migrate/backup.hpp>
#include <keel/migrate/migrator.hpp>
#include <keel/migrate/schema.hpp>

#include "cli/progress.hpp"

namespace keel::cli {

task<void> backup_before_change(const db::pool& pool, const db::database_settings& database,
                                const migrate::migrate_settings& settings, std::string label, progress_display* display)
{
    if (!settings.migrate_backup)
        co_return;
    auto session = pool.make_session();
    const bool empty = (co_await migrate::introspect(session)).empty();
    co_await session.rollback();
    if (empty) {  // a new database (a first start): nothing to keep
        log::info("migrate: no backup before the change: the database has no tables yet");
        co_return;
    }
    std::function<void(const std::filesystem::path&)> started;
    if (display)
        started = [display](const std::filesystem::path& file) { display->backup_started(file); };
    const auto path = co_await migrate::take_backup(pool, database, settings, label, std::move(started));
    if (path && display)
        display->backup_done();
    if (path)
        log::info("migrate: backup of the database before the change: {}", path->string());
    else if (database.database_url.kind() == db::backend::postgresql)
        log::warn("migrate: no backup before the change: set MIGRATE_PG_DUMP=pg_dump to take one (MIGRATE_BACKUP=false: none)");
}

namespace {

std::string revisions_text(const std::vector<std::string>& revisions)
{
    return revisions.empty() ? "base (no revisions)" : fmt::format("revision(s) {}", fmt::join(revisions, ", "));
}

/// A restore replaces everything: a person says yes on a terminal, a script with --yes.
void confirm(const command_line& args, const db::database_settings& database)
{
    if (args.yes)
        return;
    const auto what = fmt::format("restore replaces everything in {} with the backup", database.database_url.redacted());
    if (!::isatty(STDIN_FILENO))
        throw migrate::error(what + ": run it again with --yes (there is no terminal to ask)");
    fmt::print("{}. Go on? [y/N] ", what);
    std::fflush(stdout);
    std::string answer;
    std::getline(std::cin, answer);
    if (answer != "y" && answer != "yes")
        throw migrate::error("restore: not confirmed; nothing changed");
}

}  // namespace

int restore(const command_line& args, const db::database_settings& database, const migrate::migrate_settings& settings)
{
    const std::filesystem::path file = args.migrate_target;
    const auto contents = migrate::verify_backup(file, database, settings);
    fmt::print("{}: a whole backup, {} table(s), at {}\n", file.string(), contents.tables.size(), revisions_text(contents.revisions));
    std::fflush(stdout);
    confirm(args, database);
    {  // the bar is gone before the summary
        progress_display display(stdout, parse_progress_style(args.progress));
        const migrate::history none(std::vector<migrate::revision>{});  // a restore runs no revision
        migrate::run_on_migration_pool(database, settings, [&](const db::pool& pool) -> task<void> {
            migrate::migrator m(pool, none, settings);
            co_await m.exclusively([&]() -> task<void> {
                display.work("restore", file.filename().string(), database.database_url.kind() == db::backend::sqlite ? "pages" : "bytes");
                co_await backup_before_change(pool, database, settings, "before-restore", &display);
                migrate::restore_backup(file, database, settings,
                                        [&display](std::uint64_t done, std::uint64_t total) { display.advance(done, total); });
            });
        });
    }
    fmt::print("restored {} into {}: the database is at {}\n", file.string(), database.database_url.redacted(),
               revisions_text(contents.revisions));
    return 0;
}

}  // namespace keel::cli
