// A backup's restore: checked first (integrity_check, pg_restore --list), then applied all or
// nothing (SQLite's backup API, pg_restore's script in one psql transaction).
#include <keel/migrate/backup.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <sstream>

#include <boost/describe/class.hpp>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <keel/db/errors.hpp>
#include <keel/db/pool.hpp>
#include <keel/db/session.hpp>
#include <keel/migrate/migrator.hpp>

#include "core/child_process.hpp"
#include "db/sqlite/file.hpp"
#include "migrate/postgres_tools.hpp"
#include "query/dialect/dialect.hpp"

namespace keel::migrate {

namespace {

namespace fs = std::filesystem;

void require_file(const fs::path& file)
{
    std::error_code ec;
    if (!fs::exists(file, ec))
        throw error(fmt::format("restore: {}: no such file", file.string()));
    if (!fs::is_regular_file(file, ec))
        throw error(fmt::format("restore: {}: not a file", file.string()));
}

backup_contents verify_sqlite_backup(const fs::path& file)
{
    backup_contents out;
    try {
        const auto problems = db::sqlite::read_only_query(file.string(), "PRAGMA integrity_check").rows_as<std::string>();
        if (problems != std::vector<std::string>{"ok"})
            throw error(fmt::format("restore: {} is damaged: integrity_check says {}", file.string(), problems.front()));
        out.tables = db::sqlite::read_only_query(file.string(), "SELECT name FROM sqlite_schema WHERE type = 'table' AND name "
                                                                "NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name")
                         .rows_as<std::string>();
        if (std::find(out.tables.begin(), out.tables.end(), "keel_revisions") != out.tables.end())
            out.revisions = db::sqlite::read_only_query(file.string(), "SELECT revision FROM keel_revisions ORDER BY revision")
                                .rows_as<std::string>();
    } catch (const db::error& e) {
        throw error(fmt::format("restore: {} is not a SQLite backup that can be read: {}", file.string(), e.what()));
    }
    return out;
}

/// Runs one of PostgreSQL's client programs on `database`; throws naming it when it fails.
std::string run_pg_tool(const std::vector<std::string>& argv, const db::database_settings& database,
                        const migrate_settings& settings, std::vector<std::string> environment = {},
                        const std::optional<keel::detail::child_input>& input = std::nullopt)
{
    auto env = detail::libpq_environment(database.database_url);
    env.insert(env.end(), environment.begin(), environment.end());
    auto outcome = keel::detail::run_child(argv, env, settings.migrate_statement_timeout, input);
    if (outcome.exit_code == 0)
        return std::move(outcome.output);
    throw error(fmt::format("restore: {} {}: {}", argv.front(),
                            outcome.timed_out ? fmt::format("did not finish within MIGRATE_STATEMENT_TIMEOUT ({} ms)",
                                                            settings.migrate_statement_timeout.count())
                                              : fmt::format("failed (exit {})", outcome.exit_code),
                            outcome.output));
}

/// The tables ("schema.table") of `toc`, pg_restore --list's lines ("215; 1259 16386 TABLE public
/// users owner"), sorted.
std::vector<std::string> archive_tables(const std::string& toc)
{
    std::vector<std::string> out;
    std::istringstream lines(toc);
    for (std::string line; std::getline(lines, line);) {
        if (line.empty() || line.front() == ';')
            continue;
        std::istringstream words(line);
        std::string id, oid, table_oid, kind, schema, name;
        if (words >> id >> oid >> table_oid >> kind >> schema >> name && kind == "TABLE" && schema != "DATA")
            out.push_back(schema + "." + name);
    }
    std::sort(out.begin(), out.end());
    return out;
}

/// The first column of keel_revisions' rows in the archive (pg_restore's COPY block).
std::vector<std::string> archive_revisions(const std::string& script)
{
    std::vector<std::string> out;
    std::istringstream lines(script);
    bool in_rows = false;
    for (std::string line; std::getline(lines, line);) {
        if (in_rows && line == "\\.")
            in_rows = false;
        else if (in_rows)
            out.push_back(line.substr(0, line.find('\t')));
        else
            in_rows = line.starts_with("COPY ") && line.find(".keel_revisions ") != std::string::npos;
    }
    std::sort(out.begin(), out.end());
    return out;
}

backup_contents verify_postgres_backup(const fs::path& file, const db::database_settings& database, const migrate_settings& settings)
{
    const auto pg_restore = detail::beside_pg_dump(settings, "pg_restore");
    backup_contents out;
    out.tables = archive_tables(run_pg_tool({pg_restore, "--list", file.string()}, database, settings));
    if (std::any_of(out.tables.begin(), out.tables.end(), [](const auto& t) { return t.ends_with(".keel_revisions"); }))
        out.revisions = archive_revisions(
            run_pg_tool({pg_restore, "--data-only", "--table=keel_revisions", "--file=-", file.string()}, database, settings));
    return out;
}

void restore_sqlite(const fs::path& file, const db::database_settings& database, const migrate_settings& settings,
                    const restore_progress& restored)
{
    if (database.database_url.in_memory())
        throw error("restore: an in-memory SQLite database is gone with its process: there is nothing to restore into");
    try {
        db::sqlite::copy_database(file.string(), database.database_url.path(), settings.migrate_lock_timeout, restored);
    } catch (const db::error& e) {
        throw error(fmt::format("restore: copying {} into {} failed, the database is as it was: {}", file.string(),
                                database.database_url.path(), e.what()));
    }
}

/// A file only this process reads, removed when it goes out of scope: pg_restore's script, which
/// holds the data.
class private_file {
public:
    explicit private_file(fs::path path) : path_(std::move(path))
    {
        std::error_code ec;
        fs::create_directories(path_.parent_path(), ec);
        const int fd = ::open(path_.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
        if (fd < 0)
            throw error(fmt::format("restore: cannot create {}: {}", path_.string(), std::strerror(errno)));
        ::close(fd);
    }
    ~private_file()
    {
        std::error_code ec;
        fs::remove(path_, ec);
    }
    private_file(const private_file&) = delete;
    private_file& operator=(const private_file&) = delete;
    const fs::path& path() const { return path_; }

private:
    fs::path path_;
};

struct live_table {
    std::string name;    // schema.table, as pg_restore --list spells it
    std::string quoted;  // for SQL
    bool current;        // in the current schema
};
BOOST_DESCRIBE_STRUCT(live_table, (), (name, quoted, current))

/// What psql runs before the backup's script, in its transaction: the live tables the script
/// replaces locked (MIGRATE_DDL_LOCK_TIMEOUT; the script's own SETs turn lock_timeout off), and the
/// current schema's tables the backup lacks dropped, so that the database ends as the backup was.
task<std::string> prepare_sql(const db::pool& pool, const std::vector<std::string>& archive)
{
    auto session = pool.make_session();
    const auto live = co_await session.all<live_table>(
        "SELECT n.nspname || '.' || c.relname AS name, format('%I.%I', n.nspname, c.relname) AS quoted, "
        "n.oid = current_schema()::regnamespace AS current FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND n.nspname NOT IN ('pg_catalog', 'information_schema') "
        "AND n.nspname NOT LIKE 'pg\\_%' ORDER BY 1");
    co_await session.rollback();
    std::vector<std::string> locked, dropped;
    for (const auto& t : live) {
        const bool kept = std::binary_search(archive.begin(), archive.end(), t.name);
        if (kept || t.current)
            locked.push_back(t.quoted);
        if (!kept && t.current)
            dropped.push_back(t.quoted);
    }
    std::string sql;
    if (!locked.empty())
        sql += fmt::format("LOCK TABLE {} IN ACCESS EXCLUSIVE MODE;", fmt::join(locked, ", "));
    if (!dropped.empty())
        sql += fmt::format("DROP TABLE {} CASCADE;", fmt::join(dropped, ", "));
    co_return sql;
}

task<void> restore_postgres(const db::pool& pool, const fs::path& file, const db::database_settings& database,
                            const migrate_settings& settings, const restore_progress& restored)
{
    const auto pg_restore = detail::beside_pg_dump(settings, "pg_restore");
    const auto archive = archive_tables(run_pg_tool({pg_restore, "--list", file.string()}, database, settings));
    const auto prepare = co_await prepare_sql(pool, archive);
    const private_file script(fs::path(settings.migrate_backup_dir) / fmt::format(".restore-{}.sql", ::getpid()));
    run_pg_tool({pg_restore, "--clean", "--if-exists", "--file=" + script.path().string(), file.string()}, database, settings);
    std::vector<std::string> psql{detail::beside_pg_dump(settings, "psql"), "--no-psqlrc", "--quiet", "--single-transaction",
                                  "--set=ON_ERROR_STOP=1"};
    if (!prepare.empty())
        psql.push_back("--command=" + prepare);
    psql.push_back("--file=-");
    const auto options = fmt::format("PGOPTIONS=-c lock_timeout={} -c statement_timeout={}", settings.migrate_ddl_lock_timeout.count(),
                                      settings.migrate_statement_timeout.count());
    run_pg_tool(psql, database, settings, {options}, keel::detail::child_input{script.path(), restored});
}

}  // namespace

task<void> restore_backup(const db::pool& pool, const fs::path& file, const db::database_settings& database,
                          const migrate_settings& settings, restore_progress restored)
{
    require_file(file);
    if (database.database_url.kind() == db::backend::sqlite)
        restore_sqlite(file, database, settings, restored);
    else
        co_await restore_postgres(pool, file, database, settings, restored);
}

backup_contents verify_backup(const fs::path& file, const db::database_settings& database, const migrate_settings& settings)
{
    require_file(file);
    if (database.database_url.kind() == db::backend::sqlite)
        return verify_sqlite_backup(file);
    return verify_postgres_backup(file, database, settings);
}

}  // namespace keel::migrate
