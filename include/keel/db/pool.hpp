#pragma once
#include <chrono>
#include <cstddef>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>

#include <boost/describe/class.hpp>

#include <keel/core/task.hpp>
#include <keel/db/errors.hpp>
#include <keel/db/session.hpp>
#include <keel/db/url.hpp>

namespace keel::db {

/// What to do at start-up when the pool could open more connections than the server allows.
enum class budget_check { error, warn, off };
/// Reads POOL_BUDGET_CHECK: "error", "warn" or "off".
budget_check parse_setting(std::string_view text, std::type_identity<budget_check>);
std::string format_setting(budget_check value);

/// Pool settings, named as in SQLAlchemy's create_engine. Embed this in a settings struct
/// (`struct my_settings : db::database_settings`) and they are read from DATABASE_URL, POOL_SIZE, …;
/// a query parameter of DATABASE_URL with a field's name (`?pool_size=20&statement_timeout=5s`)
/// overrides that field.
struct database_settings {
    url database_url = url::parse("sqlite:///./keel.db");
    /// Connections kept open. SQLite: also the number of worker threads that run statements.
    std::size_t pool_size = 4;
    /// How long acquire() waits for a free connection before db::pool_timeout (→ HTTP 503).
    std::chrono::milliseconds pool_timeout{30'000};
    /// SQLite: how long a statement waits for another process's lock before db::lock_timeout.
    std::chrono::milliseconds busy_timeout{5'000};
    /// PostgreSQL: connections opened beyond pool_size under load, closed when given back.
    std::size_t max_overflow = 10;
    /// PostgreSQL: a connection older than this is closed instead of reused (0: never).
    std::chrono::milliseconds pool_recycle{3'600'000};
    /// PostgreSQL: check a connection that sat idle longer than pool_pre_ping_idle before
    /// handing it out, and replace it if the server no longer answers.
    bool pool_pre_ping = true;
    std::chrono::milliseconds pool_pre_ping_idle{5'000};
    /// PostgreSQL: limit for opening a connection.
    std::chrono::milliseconds connect_timeout{10'000};
    /// The longest a statement may run (0: no limit): PostgreSQL's server cancels it, SQLite
    /// interrupts it on its worker (its waits for a lock are busy_timeout's); the caller gets
    /// db::statement_timeout (→ 503).
    std::chrono::milliseconds statement_timeout{0};
    /// PostgreSQL: the longest keel waits for the server on an open connection (a result, a
    /// flush); past it the connection is closed, its statement cancelled on the server, and the
    /// caller gets db::connection_error (→ 503). 0: statement_timeout + 5 s, or 30 s without
    /// one. Also libpq's tcp_user_timeout, unless DATABASE_URL sets that. A pre-ping waits at
    /// most connect_timeout.
    std::chrono::milliseconds command_timeout{0};
    /// PostgreSQL connection parameters (libpq's names; empty or 0 keeps libpq's default).
    std::string application_name = "keel";
    std::string sslmode;
    std::string sslrootcert;
    /// TCP keepalives, so that a dead peer is noticed on an idle connection.
    std::chrono::seconds keepalives_idle{0};
    std::chrono::seconds keepalives_interval{0};
    int keepalives_count = 0;
    /// PostgreSQL: at start-up, compare the most connections this process may open with what
    /// the server allows: `error` refuses to start, `warn` logs, `off` skips the check.
    budget_check pool_budget_check = budget_check::error;
    /// PostgreSQL: statements that run outside a transaction (autocommit sessions; run_batch and
    /// one_each with no transaction open) of all sessions on one I/O thread share one connection
    /// in pipeline mode: many requests' statements travel together and the server keeps working
    /// instead of waking for each. Each still commits or fails on its own. The price: a slow
    /// statement delays those queued behind it, session state (SET, temporary tables, session
    /// advisory locks) is shared, and writes there commit one after another (each waits for its
    /// WAL flush): keep it for short reads and put writes in transactions, which keep connections
    /// of their own. The connection counts in pool_size.
    bool pipeline_autocommit = false;
};
BOOST_DESCRIBE_STRUCT(database_settings, (),
                      (database_url, pool_size, pool_timeout, busy_timeout, max_overflow, pool_recycle, pool_pre_ping,
                       pool_pre_ping_idle, connect_timeout, statement_timeout, command_timeout, application_name, sslmode, sslrootcert,
                       keepalives_idle, keepalives_interval, keepalives_count, pool_budget_check, pipeline_autocommit))

namespace detail {
class pool_impl;
}
namespace testing {
class outer_transaction;
}

/// A set of connections to one database (SQLAlchemy's Engine). Thread-safe: any I/O thread may
/// acquire from it; every wait is bounded by pool_timeout. Copies share the same pool.
class pool {
public:
    /// Opens the pool and checks that the database answers. Blocking: call it at start-up, not
    /// from an I/O thread. `io_threads` is how many I/O threads will use it (0: one per core);
    /// PostgreSQL splits pool_size and max_overflow across them. Throws db::connection_error with a
    /// message naming the (redacted) URL, or keel::settings_error for a bad URL parameter.
    static pool open(const database_settings& settings, std::size_t io_threads = 0);

    /// A new session. Like SQLAlchemy's, it takes a connection only at its first statement (waiting
    /// up to pool_timeout, then db::pool_timeout) and gives it back at commit or rollback, so a
    /// handler holds no connection while it does other work. Throws nothing itself.
    session make_session() const;
    /// Runs a trivial query within pool_timeout; throws like acquire() or db::error if the
    /// database does not answer. For readiness probes.
    task<void> ping() const;
    /// Stops handing out connections; open sessions finish, idle connections are closed.
    void close();

    backend kind() const noexcept;
    /// The pool's URL, password redacted.
    std::string describe() const;

    /// The most connections open() would let a pool hold with these settings (DATABASE_URL's
    /// parameters included): PostgreSQL's io_threads lanes (0: one per core) each with its share
    /// of pool_size + max_overflow; SQLite's pool_size.
    static std::size_t most_connections(const database_settings& settings, std::size_t io_threads = 0);

private:
    friend class testing::outer_transaction;  // wraps this pool's sessions (tests only)
    explicit pool(std::shared_ptr<detail::pool_impl> impl) : impl_(std::move(impl)) {}
    std::shared_ptr<detail::pool_impl> impl_;
};

/// Runs `work(session&)` (a coroutine) in a new session of `database` and commits it. When the
/// database reports a serialization failure or a deadlock (40001, 40P01) the transaction is rolled
/// back and everything runs again, `attempts` times at most, then the error propagates. `work`
/// must therefore be safe to repeat.
template <class F>
auto run_transaction(const pool& database, F work, transaction_options options = {}, int attempts = 3)
    -> std::invoke_result_t<F&, session&>
{
    using R = task_value_t<std::invoke_result_t<F&, session&>>;
    if (options.autocommit)
        throw std::invalid_argument("run_transaction: autocommit runs no transaction to retry");
    for (int attempt = 1;; ++attempt) {
        auto s = database.make_session();
        s.set_transaction_options(options);
        try {
            if constexpr (std::is_void_v<R>) {
                co_await work(s);
                co_await s.commit();
                co_return;
            } else {
                R out = co_await work(s);
                co_await s.commit();
                co_return out;
            }
        } catch (const serialization_failure&) {
            if (attempt >= attempts)
                throw;
        }
        co_await s.rollback();  // then try again
    }
}

}  // namespace keel::db
