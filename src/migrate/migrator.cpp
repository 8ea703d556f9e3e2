// Running revisions: the migration lock, the version table, one transaction per revision.
#include <keel/migrate/migrator.hpp>

#include <algorithm>
#include <exception>
#include <optional>

#include <fmt/format.h>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <keel/core/block_on.hpp>
#include <keel/core/log.hpp>
#include <keel/db/errors.hpp>
#include <keel/db/pool.hpp>

#include "migrate/statement_progress.hpp"
#include "query/dialect/dialect.hpp"

namespace keel::migrate {

namespace {

/// The PostgreSQL advisory lock's key: one per database, whatever the schema.
constexpr std::string_view migration_lock_key = "hashtextextended('keel_revisions', 0)";

/// What every revision's transaction runs first: the version table, made when missing. On SQLite
/// the CREATE takes the write lock, the migration lock there (sqlite3_stmt_readonly is false for
/// it even when the table exists, so keel begins the transaction IMMEDIATE), and another process
/// waits for it in the busy handler (busy_timeout). On PostgreSQL the migrator has taken the
/// advisory lock before (lock_transaction: tried between pauses); the SQL printed for a person
/// (`--sql`) waits for it. The revision's statements get migrate_ddl_lock_timeout.
std::string ddl_lock_timeout_sql(const migrate_settings& settings)
{
    return fmt::format("SET LOCAL lock_timeout = {}", settings.migrate_ddl_lock_timeout.count());
}

std::vector<std::string> prologue(db::backend dialect, const migrate_settings& settings, bool printed)
{
    const auto& d = query::detail::dialect_for(dialect);
    std::string table = fmt::format(
        "CREATE TABLE IF NOT EXISTS keel_revisions (revision TEXT PRIMARY KEY, checksum TEXT NOT NULL, "
        "applied_at {} NOT NULL DEFAULT {})", d.column_type(model::sql::timestamptz()), d.now());
    if (dialect == db::backend::sqlite)
        return {std::move(table)};
    std::vector<std::string> out;
    if (printed) {
        out.push_back(fmt::format("SET LOCAL lock_timeout = {}", settings.migrate_lock_timeout.count()));
        out.push_back(fmt::format("SELECT pg_advisory_xact_lock({})", migration_lock_key));
    }
    out.push_back(ddl_lock_timeout_sql(settings));
    out.push_back(std::move(table));
    return out;
}

/// 1 when this connection holds the migration lock (a bigint key is classid:objid in pg_locks).
constexpr const char* lock_held_sql =
    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND granted AND objsubid = 1 "
    "AND classid::bigint = ({0} >> 32) & 4294967295 AND objid::bigint = {0} & 4294967295";

std::string_view table_exists_sql(db::backend dialect)
{
    return dialect == db::backend::sqlite ? "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'keel_revisions'"
                                          : "SELECT count(*) FROM (SELECT to_regclass('keel_revisions') AS t) AS r WHERE t IS NOT NULL";
}

struct version_row {
    std::string revision, checksum;
};
BOOST_DESCRIBE_STRUCT(version_row, (), (revision, checksum))

task<applied_revisions> read_applied(db::session& session)
{
    applied_revisions out;
    for (auto& row : co_await session.all<version_row>("SELECT revision, checksum FROM keel_revisions"))
        out.emplace(std::move(row.revision), std::move(row.checksum));
    co_return out;
}

std::string describe(const step& s, std::size_t number, std::size_t total)
{
    return fmt::format("{} {} of {}: {} ({})", s.upgrade ? "upgrade" : "downgrade", number, total, s.target->id,
                       s.target->file.empty() ? s.target->message : s.target->file.filename().string());
}

/// Literals rather than parameters: the same text is what --sql prints.
std::string record_sql(const step& s)
{
    using query::detail::string_literal;
    return s.upgrade ? fmt::format("INSERT INTO keel_revisions (revision, checksum) VALUES ({}, {})", string_literal(s.target->id),
                                   string_literal(s.target->checksum))
                     : fmt::format("DELETE FROM keel_revisions WHERE revision = {}", string_literal(s.target->id));
}

std::set<std::string, std::less<>> stamped(const history& revisions, std::string_view target)
{
    std::set<std::string, std::less<>> out;
    if (target != "base")
        for (const auto& id : revisions.targets(target))
            out.merge(revisions.lineage(id));
    return out;
}

}  // namespace

db::database_settings migration_pool_settings(const db::database_settings& database, const migrate_settings& settings)
{
    auto out = database;
    out.pool_size = 1;
    // The one connection for the whole run: a session lock is the connection's, so it is never
    // recycled or replaced behind the migration's back (a dead one fails the statement instead).
    out.pool_recycle = std::chrono::milliseconds(0);
    out.pool_pre_ping = false;
    out.max_overflow = 0;
    out.pool_budget_check = db::budget_check::off;  // one connection, for a moment
    out.pipeline_autocommit = false;
    out.statement_timeout = settings.migrate_statement_timeout;
    out.command_timeout = std::chrono::milliseconds(0);  // statement_timeout + 5 s
    out.busy_timeout = settings.migrate_lock_timeout;     // SQLite: waiting for another migration
    out.pool_timeout = settings.migrate_lock_timeout;
    return out;
}

void run_on_migration_pool(const db::database_settings& database, const migrate_settings& settings,
                           const std::function<task<void>(const db::pool&)>& work)
{
    auto pool = db::pool::open(migration_pool_settings(database, settings), 1);
    block_on([&]() -> task<void> {
        std::exception_ptr failure;
        try {
            co_await work(pool);
        } catch (...) {
            failure = std::current_exception();
        }
        pool.close();
        if (failure)
            std::rethrow_exception(failure);
    });
}

migrator::migrator(const db::pool& database, const history& revisions, const migrate_settings& settings)
    : database_(database), history_(revisions), settings_(settings)
{
}

task<applied_revisions> migrator::applied() const
{
    auto session = database_.make_session();
    applied_revisions out;
    if (co_await session.one<std::int64_t>(table_exists_sql(database_.kind())) > 0)
        out = co_await read_applied(session);
    co_await session.rollback();
    co_return out;
}

namespace {

bool has_outside_statements(const step& s)
{
    const auto& statements = s.upgrade ? s.target->upgrade : s.target->downgrade;
    return std::any_of(statements.begin(), statements.end(), [](const auto& sql) { return outside_transaction(sql); });
}

}  // namespace

task<std::size_t> migrator::upgrade(std::string_view target)
{
    const auto applied = co_await this->applied();
    history_.verify(applied);
    co_return co_await run(history_.upgrade_plan(applied, target));
}

task<std::size_t> migrator::downgrade(std::string_view target)
{
    const auto applied = co_await this->applied();
    history_.verify(applied);
    co_return co_await run(history_.downgrade_plan(applied, target));
}

task<std::size_t> migrator::run(const std::vector<step>& plan)
{
    if (plan.empty())
        co_return 0;
    if (before_changes)
        co_await before_changes(plan);
    std::size_t done = 0;
    for (std::size_t i = 0; i < plan.size(); ++i)
        if (co_await run_step(plan[i], i + 1, plan.size()))  // not `done += co_await … ? 1 : 0` (GCC 12, ?:)
            ++done;
    co_return done;
}

task<void> migrator::exclusively(std::function<task<void>()> work)
{
    if (database_.kind() == db::backend::postgresql)
        co_await with_migration_lock(work);
    else
        co_await work();
}

task<void> migrator::with_migration_lock(const std::function<task<void>()>& work)
{
    auto session = database_.make_session();
    session.set_transaction_options({.autocommit = true});
    const std::string take = fmt::format("SELECT pg_try_advisory_lock({})", migration_lock_key);
    co_await wait_for_lock([&]() -> task<bool> { co_return co_await session.one<bool>(take); });
    holds_session_lock_ = true;
    std::exception_ptr failure;
    try {
        co_await work();
    } catch (...) {
        failure = std::current_exception();
    }
    holds_session_lock_ = false;
    try {
        co_await session.execute(fmt::format("SELECT pg_advisory_unlock({})", migration_lock_key));
    } catch (const std::exception& e) {
        if (!failure)
            throw;
        log::warn("migrate: giving back the migration lock after a failure: {}", e.what());  // the failure comes first
    }
    if (failure)
        std::rethrow_exception(failure);
}

task<void> migrator::lock_transaction(db::session& session) const
{
    const std::string take = fmt::format("SELECT pg_try_advisory_xact_lock({})", migration_lock_key);
    co_await wait_for_lock([&]() -> task<bool> {
        if (co_await session.one<bool>(take))
            co_return true;
        co_await session.rollback();
        if (holds_session_lock_)  // held, by the connection that took it: this one is another
            throw error("the revision's transaction runs on another connection than the migration lock: a migrator needs a pool "
                        "of one connection (migrate::run_on_migration_pool)");
        co_return false;
    });
}

/// Tries between pauses, never waiting inside a statement: a transaction waiting for the lock
/// would hold a snapshot that the holder's CREATE INDEX CONCURRENTLY waits for (a deadlock).
task<void> migrator::wait_for_lock(const std::function<task<bool>()>& attempt) const
{
    using namespace std::chrono;
    const auto deadline = steady_clock::now() + settings_.migrate_lock_timeout;
    boost::asio::steady_timer pause(co_await boost::asio::this_coro::executor);
    for (milliseconds next{10};; next = std::min(next * 2, milliseconds(500))) {
        if (co_await attempt())
            co_return;
        if (next == milliseconds(10) && on_lock_wait)
            on_lock_wait();
        const auto left = duration_cast<milliseconds>(deadline - steady_clock::now());
        if (left <= milliseconds(0))
            throw error(fmt::format("another migration held the migration lock for longer than MIGRATE_LOCK_TIMEOUT ({} ms)",
                                    settings_.migrate_lock_timeout.count()));
        pause.expires_after(std::min(next, left));
        co_await pause.async_wait(boost::asio::use_awaitable);
    }
}

task<bool> migrator::lock_and_check(db::session& session, const step& s) const
{
    try {
        if (database_.kind() == db::backend::postgresql)
            co_await lock_transaction(session);
        for (const auto& sql : prologue(database_.kind(), settings_, false))
            co_await session.execute(sql);
    } catch (const db::lock_timeout& e) {
        throw lock_timeout_error(e);
    }
    // Under the lock the version table is what it is: another process may have moved it since
    // the plan was made (applied this revision, or one it depends on was undone).
    const auto applied = co_await read_applied(session);
    if (applied.contains(s.target->id) == s.upgrade)
        co_return false;
    history_.verify(applied);
    check_neighbours(applied, s);
    co_return true;
}

error migrator::lock_timeout_error(const db::lock_timeout& e) const
{
    return error(fmt::format("another migration held the migration lock for longer than MIGRATE_LOCK_TIMEOUT ({} ms): {}",
                             settings_.migrate_lock_timeout.count(), e.what()));
}

void migrator::check_neighbours(const applied_revisions& applied, const step& s) const
{
    if (s.upgrade) {
        for (const auto& parent : s.target->parents)
            if (!applied.contains(parent))
                throw error(fmt::format("revision {} needs its parent {}, which another migration undid meanwhile; run the "
                                        "command again", s.target->id, parent));
        return;
    }
    for (const auto& r : history_.ordered())
        if (applied.contains(r.id) && std::find(r.parents.begin(), r.parents.end(), s.target->id) != r.parents.end())
            throw error(fmt::format("revision {} cannot be undone while its child {} is applied (another migration applied "
                                    "it meanwhile); run the command again", s.target->id, r.id));
}

namespace {

struct foreign_key_violation {
    std::string table, parent;
    std::optional<std::int64_t> rowid;
};
BOOST_DESCRIBE_STRUCT(foreign_key_violation, (), (table, parent, rowid))

/// SQLite: the revision's transaction runs on the connection whose foreign keys were turned off
/// (the pragma and the transaction take the pool's connection one after the other).
task<void> require_foreign_keys_off(db::session& session)
{
    const auto on = co_await session.one<std::int64_t>("PRAGMA foreign_keys");
    if (on != 0)
        throw error("foreign keys are on in the revision's transaction (the pool gave it another connection than the one "
                    "that turned them off): on SQLite the migrator needs a pool of one connection "
                    "(migrate::run_on_migration_pool)");
}

constexpr const char* foreign_key_violations_sql = "SELECT \"table\", parent, rowid FROM pragma_foreign_key_check";

/// SQLite: the revision added no row that breaks a foreign key (they were off while it ran);
/// `before` is how many there were before it (a database may hold some of its own).
task<void> check_foreign_keys(db::session& session, std::size_t before)
{
    const auto violations = co_await session.all<foreign_key_violation>(foreign_key_violations_sql);
    if (violations.size() <= before)
        co_return;
    const auto& last = violations.back();
    throw error(fmt::format("{} more row(s) break a foreign key after the revision's statements than before them; one: {} row {} "
                            "refers to a missing {} row",
                            violations.size() - before, last.table, last.rowid ? std::to_string(*last.rowid) : "?", last.parent));
}

}  // namespace

task<void> migrator::end_revision(db::session& session, bool commit) const
{
    if (database_.kind() != db::backend::sqlite) {
        if (commit)  // not `co_await (commit ? … : …)`: GCC 12 and ?:
            co_await session.commit();
        else
            co_await session.rollback();
        co_return;
    }
    // SQLite: the transaction ends by statement, so that foreign keys go back on on the very
    // connection that ran it with them off, before the session gives it back to the pool.
    std::exception_ptr failure;
    bool restored = false;
    try {
        if (commit && session.in_transaction())
            co_await session.execute("COMMIT");
    } catch (...) {
        failure = std::current_exception();
    }
    try {
        if (session.in_transaction())
            co_await session.execute("ROLLBACK");
    } catch (...) {
        if (!failure)
            failure = std::current_exception();
    }
    try {
        if (!session.in_transaction()) {
            session.set_transaction_options({.autocommit = true});
            co_await session.execute("PRAGMA foreign_keys = ON");
            restored = true;
        }
    } catch (...) {
        if (!failure)
            failure = std::current_exception();
    }
    co_await session.rollback();  // gives the connection back
    if (!restored)
        co_await sqlite_foreign_keys_on_again();
    if (failure)
        std::rethrow_exception(failure);
}

task<void> migrator::sqlite_foreign_keys_on_again() const
{
    // The connection went back with them off; on a pool of one connection it is the next one taken.
    auto session = database_.make_session();
    session.set_transaction_options({.autocommit = true});
    try {
        co_await session.execute("PRAGMA foreign_keys = ON");
    } catch (const std::exception& e) {
        log::error("migrate: turning SQLite's foreign keys on again failed: {}", e.what());
    }
}

task<bool> migrator::run_step(const step& s, std::size_t number, std::size_t total)
{
    if (database_.kind() == db::backend::sqlite || !has_outside_statements(s))
        co_return co_await run_revision(s, number, total);
    bool ran = false;
    co_await with_migration_lock([&]() -> task<void> { ran = co_await run_revision(s, number, total); });
    co_return ran;
}

task<void> migrator::run_outside_transaction(db::session& session, const std::string& sql) const
{
    if (database_.kind() == db::backend::sqlite) {  // on the session's connection, whose foreign keys are off
        co_await session.execute("COMMIT");
        session.set_transaction_options({.autocommit = true});
        co_await session.execute(sql);
        session.set_transaction_options({});
        co_await require_foreign_keys_off(session);
        co_return;
    }
    co_await session.commit();  // what came before it; the connection holds the migration lock (run_step)
    auto alone = database_.make_session();
    alone.set_transaction_options({.autocommit = true});
    co_await execute(alone, sql);
    co_await continue_holding_lock(session);
}

task<void> migrator::execute(db::session& session, const std::string& sql) const
{
    if (on_statement_progress && database_.kind() == db::backend::sqlite)
        if (const auto source = detail::rebuild_copy_source(sql)) {
            co_await detail::copy_in_slices(session, sql, *source, on_statement_progress);
            co_return;
        }
    if (on_statement_progress && progress_reader && database_.kind() == db::backend::postgresql && detail::builds_index(sql)) {
        co_await detail::execute_reporting_index_build(session, *progress_reader, sql, on_statement_progress);
        co_return;
    }
    co_await session.execute(sql);
}

task<void> migrator::continue_holding_lock(db::session& session) const
{
    // The check first, the SET LOCAL last: GCC 12 compiled this coroutine ending in the if-throw
    // into an illegal instruction.
    const auto held = co_await session.one<std::int64_t>(fmt::format(lock_held_sql, migration_lock_key));
    if (held == 0)
        throw error("the migration lock was lost during the revision (its connection was replaced); another migration may "
                    "run now");
    co_await session.execute(ddl_lock_timeout_sql(settings_));
}

void migrator::require_retries_left(const db::lock_timeout& e, std::int64_t retries) const
{
    if (retries > settings_.migrate_ddl_lock_retries)
        throw error(fmt::format("{} (it waited MIGRATE_DDL_LOCK_TIMEOUT, {} ms, for a lock {} time(s); MIGRATE_DDL_LOCK_RETRIES is {})",
                                e.what(), settings_.migrate_ddl_lock_timeout.count(), retries,
                                settings_.migrate_ddl_lock_retries));
}

task<bool> migrator::retry_transaction(db::session& session, const step& s, std::size_t first, std::int64_t attempt,
                                       const std::string& sql) const
{
    using namespace std::chrono;
    const auto pause = std::min<milliseconds>(settings_.migrate_ddl_lock_timeout * (std::int64_t(1) << std::min<std::int64_t>(attempt - 1, 10)),
                                              seconds(30));
    co_await session.rollback();  // from here the application's queries that queued behind the statement run
    log::warn("migrate: a statement waited MIGRATE_DDL_LOCK_TIMEOUT ({} ms) for a lock and was rolled back with its "
              "transaction; it runs again in {} ms (retry {} of {}): {}",
              settings_.migrate_ddl_lock_timeout.count(), pause.count(), attempt, settings_.migrate_ddl_lock_retries, sql);
    if (on_lock_retry)
        on_lock_retry(sql, attempt, pause);
    boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor, pause);
    co_await timer.async_wait(boost::asio::use_awaitable);
    if (first == 0)  // the revision's first transaction: the migration lock and the version table again
        co_return co_await begin_revision(session, s);
    co_await continue_holding_lock(session);  // a later one: the connection holds the session lock
    co_return true;
}

task<bool> migrator::begin_revision(db::session& session, const step& s) const
{
    if (database_.kind() == db::backend::sqlite) {  // outside the transaction, where the pragma works; end_revision turns them on
        session.set_transaction_options({.autocommit = true});
        co_await session.execute("PRAGMA foreign_keys = OFF");
        session.set_transaction_options({});
    }
    std::exception_ptr failure;
    bool runs = false;
    try {
        runs = co_await lock_and_check(session, s);
        if (runs && database_.kind() == db::backend::sqlite)
            co_await require_foreign_keys_off(session);
    } catch (...) {
        failure = std::current_exception();
    }
    if (!failure && runs)
        co_return true;
    co_await end_revision(session, false);  // another process ran it meanwhile, or it can no longer run
    if (failure)
        std::rethrow_exception(failure);
    co_return false;
}

task<bool> migrator::run_revision(const step& s, std::size_t number, std::size_t total)
{
    auto session = database_.make_session();
    if (!co_await begin_revision(session, s))
        co_return false;
    const bool sqlite = database_.kind() == db::backend::sqlite;
    statements_run run;
    bool committing = false;
    std::exception_ptr failure;
    try {
        if (on_step)
            on_step(progress{number, total, s});
        std::size_t violations_before = 0;
        if (sqlite) {  // not `sqlite ? co_await … : 0`: GCC 12 and ?:
            const auto violations = co_await session.all<foreign_key_violation>(foreign_key_violations_sql);
            violations_before = violations.size();
        }
        if (!co_await run_statements(session, s, run))
            co_return false;
        if (sqlite)
            co_await check_foreign_keys(session, violations_before);
        co_await session.execute(record_sql(s));
        committing = true;
        co_await end_revision(session, true);
        co_return true;
    } catch (const std::exception&) {
        failure = std::current_exception();
    }
    co_await end_revision(session, false);
    throw_step_failure(failure, s, number, total, committing ? std::nullopt : std::optional(run.at), run.committed_part);
}

task<bool> migrator::run_statements(db::session& session, const step& s, statements_run& run)
{
    const auto& statements = s.upgrade ? s.target->upgrade : s.target->downgrade;
    std::size_t first = 0;      // the first statement of the transaction in progress
    std::int64_t retries = 0;   // of that transaction
    while (run.at < statements.size()) {
        const auto& sql = statements[run.at];
        if (on_statement)
            on_statement(run.at + 1, statements.size(), sql);
        if (outside_transaction(sql)) {
            run.committed_part = true;  // what came before it commits first
            co_await run_outside_transaction(session, sql);
            first = ++run.at;
            retries = 0;
            continue;
        }
        bool gave_up = false;
        try {
            co_await execute(session, sql);
        } catch (const db::lock_timeout& e) {
            if (database_.kind() != db::backend::postgresql)
                throw;
            require_retries_left(e, ++retries);
            gave_up = true;
        }
        if (!gave_up)
            ++run.at;
        else if (co_await retry_transaction(session, s, first, retries, sql))
            run.at = first;
        else
            co_return false;
    }
    co_return true;
}

void migrator::throw_step_failure(std::exception_ptr failure, const step& s, std::size_t number, std::size_t total,
                                  std::optional<std::size_t> at, bool committed_part) const
{
    const auto& statements = s.upgrade ? s.target->upgrade : s.target->downgrade;
    try {
        std::rethrow_exception(failure);
    } catch (const std::exception& e) {
        if (!at)
            throw error(fmt::format("{}: COMMIT failed: {}\nWhether it was applied is unknown: `migrate current` tells.",
                                    describe(s, number, total), e.what()));
        const std::string statement = *at < statements.size()
                                          ? fmt::format("statement {} of {}:\n  {}\n", *at + 1, statements.size(), statements[*at])
                                          : std::string("its final checks: ");
        const char* outcome = committed_part
                                  ? "The statements before it that run outside the transaction, and those before them, stay "
                                    "applied; the version table does not record the revision. Finish or undo them by hand, then "
                                    "run the command again (or `migrate stamp`)."
                                  : "The revision was rolled back whole; the version table is unchanged.";
        throw error(fmt::format("{} failed at {}{}\n{}", describe(s, number, total), statement, e.what(), outcome));
    }
}

task<void> migrator::stamp(std::string_view target)
{
    const auto wanted = stamped(history_, target);
    auto session = database_.make_session();
    if (database_.kind() == db::backend::postgresql)
        co_await lock_transaction(session);
    for (const auto& sql : prologue(database_.kind(), settings_, false))
        co_await session.execute(sql);
    co_await session.execute("DELETE FROM keel_revisions");
    for (const auto& r : history_.ordered())
        if (wanted.contains(r.id))
            co_await session.execute(record_sql(step{&r, true}));
    co_await session.commit();
}

namespace {

/// One revision as the migrator runs it, for a person to run by hand: SQLite with foreign keys off
/// around it; on PostgreSQL the session lock around one with statements outside its transaction
/// (the transactions' own lock would be let go at each COMMIT).
std::string printed_revision(const step& s, const std::string& title, db::backend dialect, const migrate_settings& settings)
{
    const bool sqlite = dialect == db::backend::sqlite, session_lock = !sqlite && has_outside_statements(s);
    const std::string lock = fmt::format("SELECT pg_advisory_lock({});\n", migration_lock_key),
                      unlock = fmt::format("SELECT pg_advisory_unlock({});\n", migration_lock_key);
    std::string out = "\n" + title + "\n" + (sqlite ? "PRAGMA foreign_keys = OFF;\n" : session_lock ? lock : "") + "BEGIN;\n";
    for (const auto& sql : prologue(dialect, settings, !session_lock))
        out += sql + ";\n";
    for (const auto& sql : s.upgrade ? s.target->upgrade : s.target->downgrade)
        out += outside_transaction(sql) ? "COMMIT;\n" + sql + ";\nBEGIN;\n" : sql + ";\n";
    out += record_sql(s) + ";\n";
    if (sqlite)
        return out + "-- PRAGMA foreign_key_check; must list no row the revision added\nCOMMIT;\nPRAGMA foreign_keys = ON;\n";
    return out + "COMMIT;\n" + (session_lock ? unlock : "");
}

}  // namespace

std::string offline_sql(const history& revisions, std::string_view range, bool upgrade, db::backend dialect,
                        const migrate_settings& settings)
{
    const auto colon = range.find(':');
    const std::string_view from = colon == std::string_view::npos ? "base" : range.substr(0, colon);
    const std::string_view to = colon == std::string_view::npos ? range : range.substr(colon + 1);
    applied_revisions applied;
    for (const auto& id : stamped(revisions, from))
        applied.emplace(id, revisions.find(id).checksum);
    const auto plan = upgrade ? revisions.upgrade_plan(applied, to) : revisions.downgrade_plan(applied, to);
    std::string out = fmt::format("-- keel migrate {} {}:{} ({}, {} revision(s))\n", upgrade ? "upgrade" : "downgrade", from, to,
                                  dialect_name(dialect), plan.size());
    for (std::size_t i = 0; i < plan.size(); ++i)
        out += printed_revision(plan[i], fmt::format("-- {}", describe(plan[i], i + 1, plan.size())), dialect, settings);
    return out;
}

}  // namespace keel::migrate
