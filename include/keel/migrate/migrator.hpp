#pragma once
// Runs revisions against a database and records them in its version table, keel_revisions
// (revision, checksum, applied_at): one row per applied revision.
//
// Each revision runs in one transaction with its version row: a statement that fails undoes the
// whole revision and leaves the version table as it was. The transaction first takes the
// migration lock (PostgreSQL: an advisory lock; SQLite: the database's write lock), then reads
// the version table again, so two processes upgrading at once apply each revision once.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include <boost/describe/class.hpp>

#include <keel/core/task.hpp>
#include <keel/migrate/history.hpp>

namespace keel::db {
class lock_timeout;
class pool;
class session;
struct database_settings;
}

namespace keel::migrate {

/// Settings of the migrate commands (MIGRATIONS_DIR, MIGRATE_LOCK_TIMEOUT, …).
struct migrate_settings {
    std::string migrations_dir = "migrations";
    /// How long a migration waits for another process's migration to finish.
    std::chrono::milliseconds migrate_lock_timeout{60'000};
    /// PostgreSQL: how long a revision's statement waits for a table lock before it gives up
    /// (and its transaction is undone): the application's queries that queue behind it wait no
    /// longer. Above deadlock_timeout (1 s), so that an autovacuum in the way is cancelled
    /// rather than waited out. A revision may set its own (SET LOCAL lock_timeout = …).
    std::chrono::milliseconds migrate_ddl_lock_timeout{2'000};
    /// PostgreSQL: how many times each transaction of a revision that gave up waiting for a lock
    /// runs again, after a pause (MIGRATE_DDL_LOCK_TIMEOUT, doubling each time, at most 30 s) that
    /// lets the queued queries through.
    std::int64_t migrate_ddl_lock_retries = 5;
    /// The longest a statement of a revision may run (an index on a big table takes minutes);
    /// the application's STATEMENT_TIMEOUT is for its requests.
    std::chrono::milliseconds migrate_statement_timeout{3'600'000};
    /// `upgrade head` when the application starts, before it serves.
    bool migrate_on_start = false;
    /// A backup before an upgrade changes anything (take_backup): into migrate_backup_dir; on
    /// PostgreSQL with the pg_dump that migrate_pg_dump names ("" : none).
    bool migrate_backup = true;
    std::string migrate_backup_dir = "backups";
    std::string migrate_pg_dump;
    /// `lint`: a statement that locks a table of at least this many rows is a high risk, which
    /// upgrade refuses unless the revision accepts it.
    std::int64_t migrate_big_table_rows = 100'000;
};
BOOST_DESCRIBE_STRUCT(migrate_settings, (),
                      (migrations_dir, migrate_lock_timeout, migrate_ddl_lock_timeout, migrate_ddl_lock_retries, migrate_statement_timeout, migrate_on_start,
                       migrate_backup, migrate_backup_dir, migrate_pg_dump, migrate_big_table_rows))

/// The pool settings a migration runs with: the application's database, one connection, and the
/// migration's own timeouts.
db::database_settings migration_pool_settings(const db::database_settings& database, const migrate_settings& settings);

/// Runs the coroutine `work` makes to completion on a pool of one connection opened with
/// migration_pool_settings, then closes the pool on the io_context it ran on (where the pool's
/// lane lives; closed anywhere else, its connection would stay open). Blocking: for commands,
/// start-up and tools, never on an I/O thread. Rethrows what `work` throws.
void run_on_migration_pool(const db::database_settings& database, const migrate_settings& settings,
                           const std::function<task<void>(const db::pool&)>& work);

/// Revision `number` of `total` is about to run (called inside its transaction, after the lock).
struct progress {
    std::size_t number = 0, total = 0;
    const step& what;
};

/// How far a long statement of a revision has got: a rebuilt table's rows copied (SQLite), an index
/// being built (PostgreSQL: pg_stat_progress_create_index's phase, then its blocks or tuples).
struct statement_progress {
    std::string phase;                  // "copying rows", "building index: scanning table", …
    std::uint64_t done = 0, total = 0;  // 0 of 0: a phase with nothing to count
    std::string unit;                   // "rows", "blocks", "tuples"
};

/// Runs a history's revisions on `database`, a pool of one connection (run_on_migration_pool's):
/// SQLite runs each revision with foreign keys off on the connection (a pragma, then the
/// transaction: a revision finding them on refuses to run), and PostgreSQL holds the lock of a
/// revision with statements outside its transaction on it. Another pool works only when nothing
/// else uses it meanwhile (a test's).
class migrator {
public:
    migrator(const db::pool& database, const history& revisions, const migrate_settings& settings = {});

    /// The revisions the database has (none when it has no version table).
    task<applied_revisions> applied() const;
    /// Runs history::upgrade_plan(applied, target); returns how many revisions it applied (a
    /// revision another process applied meanwhile is skipped). Throws migrate::error.
    task<std::size_t> upgrade(std::string_view target);
    /// Runs history::downgrade_plan(applied, target); returns how many it undid.
    task<std::size_t> downgrade(std::string_view target);
    /// Records `target` ("base", "head", "heads" or a revision) and its ancestors as applied
    /// without running anything: for a database whose schema was made otherwise.
    task<void> stamp(std::string_view target);
    /// Runs `work` while no migration runs (a restore): PostgreSQL holds the migration lock
    /// meanwhile (waited for at most MIGRATE_LOCK_TIMEOUT); on SQLite the write lock `work` takes is
    /// the migration lock already.
    task<void> exclusively(std::function<task<void>()> work);

    std::function<void(const progress&)> on_step;
    /// Called when the migration lock is busy (another migration runs), before waiting for it.
    std::function<void()> on_lock_wait;
    /// Called before each statement of the running revision: statement `number` of `total` (again
    /// for each statement of a transaction that runs again after a lock timeout).
    std::function<void(std::size_t number, std::size_t total, const std::string& sql)> on_statement;
    /// Called when `sql` gave up waiting for a lock and its transaction was rolled back; it runs
    /// again after `pause` (retry `attempt` of MIGRATE_DDL_LOCK_RETRIES).
    std::function<void(const std::string& sql, std::int64_t attempt, std::chrono::milliseconds pause)> on_lock_retry;
    /// Called as a long statement advances: a SQLite table rebuild copies its rows in slices, each
    /// reported; a PostgreSQL index build is read about once a second on `progress_reader` (a pool
    /// of its own: the migration's one connection is busy building; none, no index progress).
    std::function<void(const statement_progress&)> on_statement_progress;
    const db::pool* progress_reader = nullptr;
    /// Awaited by upgrade() and downgrade() once they know they will change something, before the
    /// first revision (take_backup's place); an exception from it stops them before anything ran.
    std::function<task<void>(const std::vector<step>& plan)> before_changes;

private:
    task<std::size_t> run(const std::vector<step>& plan);
    task<bool> run_step(const step& s, std::size_t number, std::size_t total);
    task<bool> run_revision(const step& s, std::size_t number, std::size_t total);
    /// Where a revision's statements got to: the one running, and whether some committed already.
    struct statements_run {
        std::size_t at = 0;
        bool committed_part = false;
    };
    /// Runs `s`'s statements in the revision's transaction(s), each after a no-transaction statement
    /// in a new one; false when the revision no longer runs (another process ran it meanwhile).
    task<bool> run_statements(db::session& session, const step& s, statements_run& run);
    /// Foreign keys off (SQLite), then lock_and_check; on false or a throw the transaction is ended.
    task<bool> begin_revision(db::session& session, const step& s) const;
    /// PostgreSQL: `work` with the migration lock held by the connection (a session lock), so
    /// that it spans the transactions of a revision with statements outside them.
    task<void> with_migration_lock(const std::function<task<void>()>& work);
    /// PostgreSQL: the migration lock in `session`'s transaction (re-entrant for the connection
    /// holding the session lock).
    task<void> lock_transaction(db::session& session) const;
    task<void> wait_for_lock(const std::function<task<bool>()>& attempt) const;
    task<void> run_outside_transaction(db::session& session, const std::string& sql) const;
    /// Runs one of a revision's statements, reporting its progress when it can (on_statement_progress).
    task<void> execute(db::session& session, const std::string& sql) const;
    /// Throws when a statement that gave up waiting for a lock may not run again (a
    /// `retries`-th time): MIGRATE_DDL_LOCK_RETRIES are spent.
    void require_retries_left(const db::lock_timeout& e, std::int64_t retries) const;
    /// After `sql` gave up waiting for a lock: rolls back, pauses, and begins again the transaction
    /// whose first statement is `first`; false when the revision no longer runs (another process
    /// ran it during the pause).
    task<bool> retry_transaction(db::session& session, const step& s, std::size_t first, std::int64_t attempt,
                                 const std::string& sql) const;
    /// Sets the revision's lock timeout in `session`'s new transaction and checks that its
    /// connection still holds the migration's session lock (run_step took it there).
    task<void> continue_holding_lock(db::session& session) const;
    [[noreturn]] void throw_step_failure(std::exception_ptr failure, const step& s, std::size_t number, std::size_t total,
                                         std::optional<std::size_t> at, bool committed_part) const;
    error lock_timeout_error(const db::lock_timeout& e) const;
    /// Commits or rolls back a revision's transaction and gives its connection back. SQLite runs
    /// each revision with foreign keys off (a table rebuild drops a referenced table, which with
    /// them on would delete or refuse its children's rows), checked before it commits: this turns
    /// them on again on that connection first.
    task<void> end_revision(db::session& session, bool commit) const;
    task<void> sqlite_foreign_keys_on_again() const;
    /// Takes the migration lock in `session`'s transaction and reads the version table under it:
    /// false when `s` is done already; throws when `s` can no longer run (the caller ends the
    /// transaction either way).
    task<bool> lock_and_check(db::session& session, const step& s) const;
    void check_neighbours(const applied_revisions& applied, const step& s) const;

    const db::pool& database_;
    const history& history_;
    migrate_settings settings_;
    bool holds_session_lock_ = false;
};

/// `--sql`: the SQL that `upgrade` (or downgrade) would run from `range`'s start ("FROM:TO"; "TO"
/// alone starts from base) to its end, for a person to review or run without keel.
std::string offline_sql(const history& revisions, std::string_view range, bool upgrade, db::backend dialect,
                        const migrate_settings& settings = {});

}  // namespace keel::migrate
