// The backup before an upgrade: VACUUM INTO on SQLite, pg_dump on PostgreSQL.
#include <keel/migrate/backup.hpp>

#include <chrono>
#include <unistd.h>

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <keel/db/pool.hpp>
#include <keel/migrate/migrator.hpp>

#include "core/child_process.hpp"
#include "migrate/postgres_tools.hpp"
#include "query/dialect/dialect.hpp"

namespace keel::migrate {

namespace {

namespace fs = std::filesystem;

fs::path backup_path(const migrate_settings& settings, std::string_view name, std::string_view label, std::string_view extension)
{
    const auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
    std::error_code ec;
    fs::create_directories(settings.migrate_backup_dir, ec);
    if (ec)
        throw error(fmt::format("backup: cannot create {}: {}", settings.migrate_backup_dir, ec.message()));
    // The process id keeps two instances that start in the same second from taking one name.
    const fs::path path = fs::path(settings.migrate_backup_dir) /
                          fmt::format("{}-{:%Y%m%dT%H%M%SZ}-{}-{}{}", name, now, ::getpid(), label, extension);
    if (fs::exists(path, ec))
        throw error(fmt::format("backup: {} exists already", path.string()));
    return path;
}

using backup_started = std::function<void(const fs::path&)>;

task<fs::path> sqlite_backup(const db::pool& pool, const db::database_settings& database, const migrate_settings& settings,
                             std::string_view label, const backup_started& started)
{
    const auto path = backup_path(settings, fs::path(database.database_url.path()).stem().string(), label, ".db");
    if (started)
        started(path);
    auto session = pool.make_session();
    session.set_transaction_options({.autocommit = true});  // VACUUM cannot run inside a transaction
    std::exception_ptr failure;
    try {
        co_await session.execute("VACUUM INTO " + query::detail::string_literal(path.string()));
    } catch (const db::error& e) {
        failure = std::make_exception_ptr(error(fmt::format("backup: VACUUM INTO {} failed: {}", path.string(), e.what())));
    }
    if (failure)
        std::rethrow_exception(failure);
    co_return path;
}

fs::path postgres_backup(const db::database_settings& database, const migrate_settings& settings, std::string_view label,
                         const backup_started& started)
{
    const auto path = backup_path(settings, database.database_url.database(), label, ".dump");
    if (started)
        started(path);
    const auto outcome = keel::detail::run_child({settings.migrate_pg_dump, "--format=custom", "--file=" + path.string()},
                                           detail::libpq_environment(database.database_url), settings.migrate_statement_timeout);
    if (outcome.exit_code == 0)
        return path;
    std::error_code ec;
    fs::remove(path, ec);  // a partial dump is no backup
    throw error(fmt::format("backup: {} {}: {}", settings.migrate_pg_dump,
                            outcome.timed_out ? fmt::format("did not finish within {} ms", settings.migrate_statement_timeout.count())
                                              : fmt::format("failed (exit {})", outcome.exit_code),
                            outcome.output));
}

}  // namespace

std::vector<std::string> detail::libpq_environment(const db::url& url)
{
    std::vector<std::string> env{"PGHOST=" + url.host(), "PGUSER=" + url.user(), "PGPASSWORD=" + url.password(),
                                 "PGDATABASE=" + url.database()};
    if (url.port())
        env.push_back(fmt::format("PGPORT={}", *url.port()));
    for (const auto& [parameter, variable] : {std::pair{"hostaddr", "PGHOSTADDR"}, {"sslmode", "PGSSLMODE"},
                                              {"sslrootcert", "PGSSLROOTCERT"}, {"connect_timeout", "PGCONNECT_TIMEOUT"}})
        if (const auto found = url.params().find(parameter); found != url.params().end())
            env.push_back(std::string(variable) + "=" + found->second);
    return env;
}

std::string detail::beside_pg_dump(const migrate_settings& settings, std::string_view program)
{
    if (settings.migrate_pg_dump.empty())
        throw error(fmt::format("a PostgreSQL backup is restored by {}, found beside MIGRATE_PG_DUMP: set MIGRATE_PG_DUMP "
                                "(pg_dump, or its path)", program));
    const fs::path dump(settings.migrate_pg_dump);
    return dump.has_parent_path() ? (dump.parent_path() / program).string() : std::string(program);
}

task<std::optional<fs::path>> take_backup(const db::pool& pool, const db::database_settings& database,
                                          const migrate_settings& settings, std::string_view label, backup_started started)
{
    if (!settings.migrate_backup)
        co_return std::nullopt;
    if (database.database_url.kind() == db::backend::sqlite) {
        if (database.database_url.in_memory())
            co_return std::nullopt;
        co_return co_await sqlite_backup(pool, database, settings, label, started);
    }
    if (settings.migrate_pg_dump.empty())
        co_return std::nullopt;
    co_return postgres_backup(database, settings, label, started);
}

}  // namespace keel::migrate
