// A backup's restore: checked first (integrity_check, pg_restore --list), then applied all or
// nothing (SQLite's backup API, pg_restore's script in one psql transaction).
#include <keel/migrate/backup.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <sstream>


#include <fmt/format.h>

#include <keel/db/errors.hpp>
#include <keel/db/pool.hpp>
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
    run_pg_tool({pg_restore, "--file=/dev/null", file.string()}, database, settings);  // every byte read: a cut one fails
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

/// A new file only this process reads (mode 0600, a name of its own), removed when it goes out of
/// scope: pg_restore's script, which holds the data.
class private_file {
public:
    explicit private_file(const fs::path& directory)
    {
        std::error_code ec;
        fs::create_directories(directory, ec);
        std::string name = (directory / ".restore-XXXXXX.sql").string();
        const int fd = ::mkstemps(name.data(), 4);
        if (fd < 0)
            throw error(fmt::format("restore: cannot create a file in {} for pg_restore's script: {}", directory.string(),
                                    std::strerror(errno)));
        ::close(fd);
        path_ = name;
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

/// pg_dump's script turns statement_timeout and lock_timeout off at its top; made comments in
/// place (same length), PGOPTIONS' values hold for every statement the restore runs.
void keep_timeouts(const fs::path& script)
{
    const int fd = ::open(script.c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0)
        throw error(fmt::format("restore: cannot open {}: {}", script.string(), std::strerror(errno)));
    std::string head(8192, '\0');
    const ssize_t n = ::pread(fd, head.data(), head.size(), 0);
    head.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
    bool written = true;
    for (const std::string_view line : {"\nSET statement_timeout = 0;", "\nSET lock_timeout = 0;"})
        if (const auto at = head.find(line); at != std::string::npos)
            written = written && ::pwrite(fd, "-- ", 3, static_cast<off_t>(at + 1)) == 3;
    ::close(fd);
    if (!written)
        throw error(fmt::format("restore: cannot write {}: {}", script.string(), std::strerror(errno)));
}

/// Run first in the restore's transaction: every object of the current schema dropped (but an
/// extension's), so that the database ends as the backup was, with nothing made since left over.
constexpr const char* drop_current_schema = R"sql(BEGIN;
DO $keel$
DECLARE
    statement text;
BEGIN
    FOR statement IN
        SELECT format('DROP %s IF EXISTS %I.%I CASCADE', CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'
               WHEN 'S' THEN 'SEQUENCE' WHEN 'f' THEN 'FOREIGN TABLE' WHEN 'c' THEN 'TYPE' ELSE 'TABLE' END, n.nspname, c.relname)
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.oid = current_schema()::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f', 'c') AND NOT c.relispartition
          AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype IN ('e', 'a', 'i'))
        UNION ALL
        SELECT format('DROP %s IF EXISTS %I.%I CASCADE', CASE t.typtype WHEN 'd' THEN 'DOMAIN' ELSE 'TYPE' END, n.nspname, t.typname)
        FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
        WHERE n.oid = current_schema()::regnamespace AND t.typtype IN ('e', 'd', 'r')
          AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_type'::regclass AND d.objid = t.oid AND d.deptype = 'e')
        UNION ALL
        SELECT format('DROP %s IF EXISTS %s CASCADE', CASE p.prokind WHEN 'p' THEN 'PROCEDURE' WHEN 'a' THEN 'AGGREGATE' ELSE 'FUNCTION' END,
                      p.oid::regprocedure)
        FROM pg_proc p
        WHERE p.pronamespace = current_schema()::regnamespace
          AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')
    LOOP
        EXECUTE statement;
    END LOOP;
END
$keel$;)sql";

/// The backup's script run by psql in one transaction, begun by drop_current_schema and committed
/// by the input's trailer: psql commits only what it has read whole (an input cut short, keel
/// killed meanwhile, ends the connection with the transaction open, and the server rolls it back).
void restore_postgres(const fs::path& file, const db::database_settings& database, const migrate_settings& settings,
                      const restore_progress& restored)
{
    const private_file script(settings.migrate_backup_dir);
    run_pg_tool({detail::beside_pg_dump(settings, "pg_restore"), "--clean", "--if-exists", "--file=" + script.path().string(),
                 file.string()},
                database, settings);
    keep_timeouts(script.path());
    const auto options = fmt::format("PGOPTIONS=-c lock_timeout={} -c statement_timeout={}", settings.migrate_ddl_lock_timeout.count(),
                                     settings.migrate_statement_timeout.count());
    run_pg_tool({detail::beside_pg_dump(settings, "psql"), "--no-psqlrc", "--quiet", "--set=ON_ERROR_STOP=1",
                 std::string("--command=") + drop_current_schema, "--file=-"},
                database, settings, {options, "PGAPPNAME=keel restore"},
                keel::detail::child_input{script.path(), restored, "\nCOMMIT;\n"});
}

}  // namespace

void restore_backup(const fs::path& file, const db::database_settings& database, const migrate_settings& settings,
                    const restore_progress& restored)
{
    require_file(file);
    if (database.database_url.kind() == db::backend::sqlite)
        restore_sqlite(file, database, settings, restored);
    else
        restore_postgres(file, database, settings, restored);
}

backup_contents verify_backup(const fs::path& file, const db::database_settings& database, const migrate_settings& settings)
{
    require_file(file);
    if (database.database_url.kind() == db::backend::sqlite)
        return verify_sqlite_backup(file);
    return verify_postgres_backup(file, database, settings);
}

}  // namespace keel::migrate
