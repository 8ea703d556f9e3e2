// SQLite pool and session. Every sqlite3 call runs on the pool's worker threads; coroutines
// resume on their own io_context. Writers are serialised in-process by an async FIFO lock taken
// before BEGIN IMMEDIATE, so concurrent requests queue instead of spinning in SQLite's busy
// handler and failing with "database is locked". A transaction whose first statement only reads
// begins DEFERRED (readers run in parallel under WAL) and takes the writer lock if it later writes.
#include "db/sqlite/pool.hpp"

#include <atomic>
#include <exception>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unistd.h>

#include <boost/asio/thread_pool.hpp>

#include <keel/core/log.hpp>

#include "core/ascii.hpp"
#include "core/async_semaphore.hpp"
#include "core/offload.hpp"
#include "db/sqlite/connection.hpp"

namespace keel::db::sqlite {

namespace {

namespace asio = boost::asio;

class sqlite_pool final : public db::detail::pool_impl, public std::enable_shared_from_this<sqlite_pool> {
public:
    explicit sqlite_pool(const database_settings& settings);
    ~sqlite_pool() override;

    std::unique_ptr<db::detail::session_impl> make_session() override;
    void close() override;
    std::string_view ping_sql() const noexcept override { return "SELECT count(*) FROM sqlite_schema"; }
    const url& database_url() const noexcept override { return url_; }
    std::chrono::milliseconds checkout_timeout() const noexcept override { return pool_timeout_; }

    /// Opens the first connection synchronously: start-up fails early on a bad path.
    void prime();
    /// A slot and a connection, within pool_timeout.
    task<std::shared_ptr<connection>> checkout();
    /// Returns a connection (any thread); a connection in an unknown state is closed instead.
    void checkin(std::shared_ptr<connection> conn, bool reusable);
    task<void> lock_writer();
    void unlock_writer() { writer_.release(); }

    template <class F, class Interrupt = keel::detail::uninterruptible>
    auto on_worker(F work, Interrupt interrupt = {})
    {
        return keel::detail::offload(workers_->get_executor(), std::move(work), std::move(interrupt));
    }
    asio::thread_pool::executor_type worker_executor() { return workers_->get_executor(); }

private:
    std::shared_ptr<connection> open_connection() const;

    url url_;
    std::string filename_;
    bool uri_ = false;
    std::chrono::milliseconds pool_timeout_;
    std::chrono::milliseconds busy_timeout_;
    std::chrono::milliseconds statement_timeout_;
    std::unique_ptr<asio::thread_pool> workers_;
    keel::detail::async_semaphore slots_;
    keel::detail::async_semaphore writer_{1};
    std::mutex mutex_;
    std::vector<std::shared_ptr<connection>> idle_;
    bool closed_ = false;
    std::shared_ptr<connection> anchor_;  // keeps a shared in-memory database alive
};

class sqlite_session final : public db::detail::session_impl {
public:
    explicit sqlite_session(std::shared_ptr<sqlite_pool> pool) : pool_(std::move(pool)) {}
    ~sqlite_session() override;

    task<result> run(sql_text sql, std::vector<value> params) override;
    task<void> commit() override;
    task<void> rollback() override;
    // Still in the transaction SQLite ended itself, as PostgreSQL is in one it aborted: until
    // the caller rolls back.
    bool in_transaction() const noexcept override { return in_tx_ || rolled_back_; }
    // SQLite transactions are serializable whatever the level asked.
    void set_transaction_options(const transaction_options& options) override
    {
        read_only_ = options.read_only;
        autocommit_ = options.autocommit;
    }
    backend kind() const noexcept override { return backend::sqlite; }

private:
    std::optional<result> answer_without_running(sql_text& sql);
    task<result> run_statement(sql_text sql, std::vector<value> params);
    void release(bool reusable = true);

    std::shared_ptr<sqlite_pool> pool_;
    std::shared_ptr<connection> conn_;  // taken at the first statement, given back at the end
    bool in_tx_ = false;                // written on a worker while this coroutine waits for it
    bool rolled_back_ = false;          // SQLite ended the transaction itself as a statement failed
    bool failed_ = false;               // a statement failed in the open transaction: aborted, as on PostgreSQL
    bool writer_ = false;
    bool read_only_ = false;
    /// No BEGIN: each statement is SQLite's own implicit transaction, so that those that cannot
    /// run inside one (VACUUM, some PRAGMAs) can run.
    bool autocommit_ = false;
};

std::string memory_uri()
{
    // memdb VFS (SQLite ≥ 3.36): a name starting with '/' is one database shared by every
    // connection of this process that opens it; each pool gets its own.
    static std::atomic<unsigned> counter{0};
    return "file:/keel-memory-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) + "?vfs=memdb";
}

sqlite_pool::sqlite_pool(const database_settings& settings)
    : url_(settings.database_url),
      filename_(url_.in_memory() ? memory_uri() : url_.path()),
      uri_(url_.in_memory()),
      pool_timeout_(settings.pool_timeout),
      busy_timeout_(settings.busy_timeout),
      statement_timeout_(settings.statement_timeout),
      workers_(std::make_unique<asio::thread_pool>(settings.pool_size)),
      slots_(settings.pool_size)
{
}

sqlite_pool::~sqlite_pool()
{
    workers_->stop();
    if (workers_->get_executor().running_in_this_thread()) {
        // The last owner let go on a worker (a session's deferred rollback): a thread cannot
        // join its own pool, so another one does.
        std::thread([workers = std::move(workers_)] { workers->join(); }).detach();
        return;
    }
    workers_->join();
}

std::shared_ptr<connection> sqlite_pool::open_connection() const
{
    return std::make_shared<connection>(filename_, uri_, busy_timeout_, statement_timeout_);
}

void sqlite_pool::prime()
{
    auto first = open_connection();
    first->run(ping_sql(), {});
    if (url_.in_memory())
        anchor_ = open_connection();
    std::lock_guard lock(mutex_);
    idle_.push_back(std::move(first));
}

std::unique_ptr<db::detail::session_impl> sqlite_pool::make_session()
{
    return std::make_unique<sqlite_session>(shared_from_this());
}

void sqlite_pool::close()
{
    std::lock_guard lock(mutex_);
    closed_ = true;
    idle_.clear();
    slots_.close();
}

task<std::shared_ptr<connection>> sqlite_pool::checkout()
{
    const bool got_slot = co_await slots_.acquire(pool_timeout_);
    if (!got_slot) {
        std::lock_guard lock(mutex_);
        if (closed_)
            throw connection_error("the database pool is closed", "08003");
        throw pool_timeout("no database connection was free within pool_timeout (" +
                           std::to_string(pool_timeout_.count()) + " ms); raise POOL_SIZE or POOL_TIMEOUT");
    }
    {
        std::lock_guard lock(mutex_);
        if (!idle_.empty()) {
            auto conn = std::move(idle_.back());
            idle_.pop_back();
            co_return conn;
        }
    }
    std::exception_ptr failure;
    try {
        co_return co_await on_worker([this] { return open_connection(); });
    } catch (...) {
        failure = std::current_exception();
    }
    slots_.release();
    std::rethrow_exception(failure);
}

void sqlite_pool::checkin(std::shared_ptr<connection> conn, bool reusable)
{
    {
        std::lock_guard lock(mutex_);
        if (reusable && !closed_)
            idle_.push_back(std::move(conn));
    }
    slots_.release();
}

task<void> sqlite_pool::lock_writer()
{
    const bool locked = co_await writer_.acquire(busy_timeout_);
    if (!locked)
        throw lock_timeout("waited longer than busy_timeout (" + std::to_string(busy_timeout_.count()) +
                               " ms) for the database write lock",
                           "55P03");
}

// Keeps the session's view of the transaction in step with the handle, whatever happens. A
// transaction that SQLite rolled back itself as a statement failed (an interrupted write, a full
// disk) is remembered, so that the session reports it as PostgreSQL does rather than go on
// outside it.
struct track_transaction {
    const connection& conn;
    bool& in_tx;
    bool& rolled_back;
    int failures = std::uncaught_exceptions();
    ~track_transaction()
    {
        const bool was_in_tx = in_tx;
        in_tx = conn.in_transaction();
        if (was_in_tx && !in_tx && std::uncaught_exceptions() > failures)
            rolled_back = true;
    }
};

// The next word of `rest` (split at blanks), taken off it.
std::string_view next_word(std::string_view& rest)
{
    rest = keel::detail::trim(rest, " \t\r\n");
    const auto word = rest.substr(0, rest.find_first_of(" \t\r\n"));
    rest.remove_prefix(word.size());
    return word;
}

// ROLLBACK [TRANSACTION | WORK], which ends a transaction, and ROLLBACK [TRANSACTION | WORK] TO
// [SAVEPOINT] name, which undoes what followed the savepoint: the two statements PostgreSQL still
// accepts in a transaction an error aborted. SQLite knows neither WORK nor an aborted transaction:
// the session lets them through it, in SQLite's words.
struct rollback_statement {
    enum { none, transaction, to_savepoint } kind = none;
    std::string_view savepoint;
};

rollback_statement rollback_of(std::string_view sql)
{
    using keel::detail::equals_ignoring_case;
    std::string_view rest = keel::detail::trim(sql, " \t\r\n;");
    if (!equals_ignoring_case(next_word(rest), "rollback"))
        return {};
    auto word = next_word(rest);
    if (equals_ignoring_case(word, "transaction") || equals_ignoring_case(word, "work"))
        word = next_word(rest);
    if (word.empty())
        return {rollback_statement::transaction};
    if (!equals_ignoring_case(word, "to"))
        return {};
    auto name = next_word(rest);
    if (equals_ignoring_case(name, "savepoint"))
        name = next_word(rest);
    if (name.empty() || !next_word(rest).empty())
        return {};
    return {rollback_statement::to_savepoint, name};
}

// SQLite undoes only the statement that failed and keeps the transaction; PostgreSQL aborts it.
// keel reports the abort on both, so that code tested on SQLite does what it will on PostgreSQL:
// no later statement and no commit runs until the caller rolls back (or back to a savepoint).
task<result> sqlite_session::run(sql_text sql, std::vector<value> params)
{
    if (auto answer = answer_without_running(sql))
        co_return std::move(*answer);
    std::exception_ptr failure;
    try {
        auto rows = co_await run_statement(std::move(sql), std::move(params));
        failed_ = false;  // only a ROLLBACK runs in a failed transaction
        co_return rows;
    } catch (...) {
        failure = std::current_exception();
    }
    failed_ = in_tx_;  // also the transaction this statement began, as PostgreSQL's (not one never begun)
    std::rethrow_exception(failure);
}

// In an ended or aborted transaction: refuses what PostgreSQL refuses there, answers what needs no
// statement. Rewrites ROLLBACK's forms into SQLite's. nullopt: run `sql`.
std::optional<result> sqlite_session::answer_without_running(sql_text& sql)
{
    const auto rollback = rollback_of(sql);
    if (rolled_back_) {  // SQLite ended the transaction itself: only ROLLBACK, which releases it
        if (rollback.kind != rollback_statement::transaction)
            db::detail::throw_aborted_transaction();
        release();
        return result({}, {}, 0);
    }
    if (failed_ && rollback.kind == rollback_statement::none)
        throw error("current transaction is aborted, commands ignored until end of transaction block "
                    "(an earlier statement failed; roll back, or back to a savepoint)",
                    "25P02");
    if (rollback.kind == rollback_statement::transaction) {
        if (!in_tx_)  // no BEGIN ran (PostgreSQL only warns): nothing to undo on the handle
            return result({}, {}, 0);
        sql = "ROLLBACK";  // the session keeps its connection, as after any statement
    } else if (rollback.kind == rollback_statement::to_savepoint) {
        sql = "ROLLBACK TO SAVEPOINT " + std::string(rollback.savepoint);
    }
    return std::nullopt;
}

task<result> sqlite_session::run_statement(sql_text sql, std::vector<value> params)
{
    if (!conn_)
        conn_ = co_await pool_->checkout();
    // Cancelling the awaiting coroutine (the request's deadline) stops the statement on its worker.
    std::atomic<bool> stop{false};
    const auto interrupt = [&stop] { stop = true; };
    if (!writer_) {
        const bool begin = !in_tx_;
        auto read = co_await pool_->on_worker(
            [&] {
                track_transaction track{*conn_, in_tx_, rolled_back_};
                return conn_->run_if_readonly(sql, params, begin && !autocommit_, &stop);
            },
            interrupt);
        if (read)
            co_return std::move(*read);
        if (read_only_)  // the statement writes: refuse it as PostgreSQL does
            throw error("cannot execute a statement that writes in a read-only transaction", "25006");
        co_await pool_->lock_writer();
        writer_ = true;
    }
    co_return co_await pool_->on_worker(
        [&] {
            track_transaction track{*conn_, in_tx_, rolled_back_};
            if (!conn_->in_transaction() && !autocommit_)
                conn_->exec("BEGIN IMMEDIATE");
            return conn_->run(sql, params, &stop);
        },
        interrupt);
}

task<void> sqlite_session::commit()
{
    if (!conn_)
        co_return;
    if (rolled_back_ || failed_) {
        co_await rollback();  // after SQLite's own rollback, this only gives the connection back
        db::detail::throw_aborted_transaction();
    }
    std::exception_ptr failure;
    if (in_tx_) {
        try {
            co_await pool_->on_worker([&] {
                track_transaction track{*conn_, in_tx_, rolled_back_};
                conn_->exec("COMMIT");
            });
        } catch (...) {
            failure = std::current_exception();
        }
    }
    if (failure && in_tx_) {
        co_await rollback();
        std::rethrow_exception(failure);
    }
    release();
    if (failure)
        std::rethrow_exception(failure);
}

task<void> sqlite_session::rollback()
{
    if (!conn_)
        co_return;
    bool reusable = true;
    if (in_tx_) {
        try {
            co_await pool_->on_worker([&] {
                track_transaction track{*conn_, in_tx_, rolled_back_};
                conn_->exec("ROLLBACK");
            });
        } catch (const std::exception& e) {
            // The handle's state is unknown: close it rather than hand it to the next request.
            log::error("SQLite ROLLBACK failed, closing the connection: {}", e.what());
            reusable = false;
        }
    }
    release(reusable);
}

void sqlite_session::release(bool reusable)
{
    if (writer_) {
        pool_->unlock_writer();
        writer_ = false;
    }
    if (conn_)
        pool_->checkin(std::move(conn_), reusable);
    in_tx_ = false;
    rolled_back_ = false;
    failed_ = false;
}

sqlite_session::~sqlite_session()
{
    if (!conn_)
        return;
    if (!in_tx_) {
        release();
        return;
    }
    log::warn("a database session ended with its transaction open; rolling it back");
    // Roll back on a worker (never on the I/O thread), then give back the lock and the connection.
    asio::post(pool_->worker_executor(), [pool = pool_, conn = std::move(conn_), writer = writer_]() mutable {
        bool reusable = true;
        try {
            conn->exec("ROLLBACK");
        } catch (const std::exception& e) {
            log::error("SQLite ROLLBACK failed, closing the connection: {}", e.what());
            reusable = false;
        }
        if (writer)
            pool->unlock_writer();
        pool->checkin(std::move(conn), reusable);
    });
}

}  // namespace

std::shared_ptr<db::detail::pool_impl> open_pool(const database_settings& settings)
{
    if (settings.pool_size == 0)
        throw connection_error("POOL_SIZE must be at least 1");
    auto pool = std::make_shared<sqlite_pool>(settings);
    try {
        pool->prime();
    } catch (const db::error& e) {
        throw connection_error("cannot open " + settings.database_url.redacted() + ": " + e.what(), "08001");
    }
    return pool;
}

}  // namespace keel::db::sqlite
