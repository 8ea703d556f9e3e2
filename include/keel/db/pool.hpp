#pragma once
#include <chrono>
#include <cstddef>
#include <memory>

#include <boost/describe/class.hpp>

#include <keel/core/task.hpp>
#include <keel/db/session.hpp>
#include <keel/db/url.hpp>

namespace keel::db {

/// Pool settings, named as in SQLAlchemy's create_engine. Fields of a settings struct: embed this
/// (`struct my_settings : db::database_settings`) and they are read from DATABASE_URL, POOL_SIZE, …
struct database_settings {
    url database_url = url::parse("sqlite:///./keel.db");
    /// Connections kept open. SQLite: also the number of worker threads that run statements.
    std::size_t pool_size = 4;
    /// How long acquire() waits for a free connection before db::pool_timeout (→ HTTP 503).
    std::chrono::milliseconds pool_timeout{30'000};
    /// SQLite: how long a statement waits for another process's lock before db::lock_timeout.
    std::chrono::milliseconds busy_timeout{5'000};
};
BOOST_DESCRIBE_STRUCT(database_settings, (), (database_url, pool_size, pool_timeout, busy_timeout))

namespace detail {
class pool_impl;
}

/// A set of connections to one database (SQLAlchemy's Engine). Thread-safe: any I/O thread may
/// acquire from it; every wait is bounded by pool_timeout. Copies share the same pool.
class pool {
public:
    /// Opens the pool and checks that the database answers. Blocking: call it at start-up, not
    /// from an I/O thread. Throws db::connection_error with a message naming the (redacted) URL.
    static pool open(const database_settings& settings);

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

private:
    explicit pool(std::shared_ptr<detail::pool_impl> impl) : impl_(std::move(impl)) {}
    std::shared_ptr<detail::pool_impl> impl_;
};

}  // namespace keel::db
