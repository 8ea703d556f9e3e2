// Test isolation by transactional rollback: every session of the wrapped pool is a savepoint in
// one outer transaction on one connection, rolled back when the test ends. The outer session
// lives on a thread of its own, because the HTTP server's sessions come from several I/O threads
// while a PostgreSQL connection belongs to the io_context that opened it (its pool lane).
#include <keel/db/outer_transaction.hpp>

#include <atomic>
#include <optional>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <fmt/format.h>

#include <keel/core/log.hpp>
#include <keel/db/errors.hpp>

#include "core/async_semaphore.hpp"
#include "db/driver.hpp"

namespace keel::db::testing {

namespace asio = boost::asio;

namespace detail {

// The outer session, the thread that drives it, and the turn sessions take on its connection.
class outer_state : public std::enable_shared_from_this<outer_state> {
public:
    outer_state(db::session outer, std::chrono::milliseconds timeout)
        : kind_(outer.kind()), outer_(std::move(outer)), timeout_(timeout), thread_([this] { home_.run(); })
    {
    }
    ~outer_state() { stop(); }

    /// The real database's, also after the outer transaction has ended.
    backend kind() const noexcept { return kind_; }

    /// Runs one statement of the outer transaction on its thread; the caller resumes on its own.
    task<result> run(std::string sql, std::vector<value> params)
    {
        if (finished_)
            throw connection_error("the test's outer transaction has ended", "08003");
        auto rows = co_await asio::co_spawn(
            home_,
            [&]() -> task<result> {
                auto out = co_await outer_->run(std::move(sql), std::move(params));
                co_return out;
            },
            asio::use_awaitable);
        co_return rows;
    }
    task<void> execute(std::string sql)
    {
        std::vector<value> none;
        co_await run(std::move(sql), std::move(none));
    }
    /// Undoes what was done since SAVEPOINT `name` and drops it; the enclosing work goes on.
    task<void> undo(std::string name)
    {
        std::string back = "ROLLBACK TO SAVEPOINT " + name, drop = "RELEASE SAVEPOINT " + name;
        co_await execute(std::move(back));
        co_await execute(std::move(drop));
    }
    /// undo() for a session destroyed mid-transaction, which cannot wait: then gives the turn back.
    void undo_later(std::string name)
    {
        if (finished_)
            return;
        asio::co_spawn(home_, undo_and_give_turn(shared_from_this(), std::move(name)), asio::detached);
    }

    /// Waits up to pool_timeout for the connection, like a pool's checkout.
    task<void> take_turn()
    {
        if (!closed_) {
            const bool got = co_await turn_.acquire(timeout_);
            if (got && !closed_)
                co_return;
            if (!got)
                throw pool_timeout(fmt::format("another session held the test's one connection longer than "
                                               "pool_timeout ({} ms): a session left open, or sessions that wait "
                                               "for each other",
                                               timeout_.count()));
            turn_.release();
        }
        throw connection_error("the database pool is closed", "08003");
    }
    void give_turn() { turn_.release(); }
    std::string next_savepoint() { return "keel_test_session_" + std::to_string(++savepoints_); }
    void close() { closed_ = true; }

    /// Refuses new sessions, waits for the one running, rolls back and stops the thread. Blocking.
    void finish()
    {
        closed_ = true;
        auto done = asio::co_spawn(home_, roll_back(), asio::use_future);
        try {
            done.get();
        } catch (const std::exception& e) {
            log::error("rolling back the test's outer transaction failed: {}", e.what());
        }
        finished_ = true;
        stop();
    }

private:
    static task<void> undo_and_give_turn(std::shared_ptr<outer_state> self, std::string name)
    {
        try {
            co_await self->undo(std::move(name));
        } catch (const std::exception& e) {
            log::error("undoing an abandoned test session failed: {}", e.what());
        }
        self->give_turn();
    }
    task<void> roll_back()
    {
        const bool alone = co_await turn_.acquire(timeout_);
        if (!alone)
            log::error("a test session still held the connection after pool_timeout; rolling back under it");
        co_await outer_->rollback();
        outer_.reset();  // on this thread, while the io_context its connection belongs to still runs
    }
    void stop()
    {
        if (!thread_.joinable())
            return;
        home_.stop();
        thread_.join();
    }

    asio::io_context home_{1};  // first: destroyed last, after the session that uses it
    asio::executor_work_guard<asio::io_context::executor_type> keep_running_ = asio::make_work_guard(home_);
    backend kind_;
    std::optional<db::session> outer_;
    std::chrono::milliseconds timeout_;
    keel::detail::async_semaphore turn_{1};
    std::atomic<bool> closed_{false};
    std::atomic<bool> finished_{false};
    std::atomic<std::size_t> savepoints_{0};
    std::thread thread_;
};

}  // namespace detail

namespace {

// A session of the code under test: its transaction is a savepoint of the outer one.
class rollback_session final : public db::detail::session_impl {
public:
    explicit rollback_session(std::shared_ptr<detail::outer_state> outer) : outer_(std::move(outer)) {}
    ~rollback_session() override
    {
        if (savepoint_.empty())
            return;
        log::warn("a database session ended with its transaction open; rolling it back");
        outer_->undo_later(std::move(savepoint_));
    }

    task<result> run(sql_text sql, std::vector<value> params) override
    {
        if (savepoint_.empty())
            co_await begin();
        auto rows = co_await outer_->run(std::move(sql).take(), std::move(params));
        co_return rows;
    }
    task<void> commit() override
    {
        if (savepoint_.empty())
            co_return;
        std::exception_ptr failure;
        try {
            std::string release = "RELEASE SAVEPOINT " + savepoint_;
            co_await outer_->execute(std::move(release));
        } catch (...) {
            failure = std::current_exception();  // PostgreSQL: 25P02 after an error in this session
        }
        if (failure) {
            co_await rollback();
            std::rethrow_exception(failure);
        }
        end();
    }
    task<void> rollback() override
    {
        if (savepoint_.empty())
            co_return;
        try {
            co_await outer_->undo(savepoint_);
        } catch (const std::exception& e) {
            log::error("ROLLBACK TO SAVEPOINT failed: {}", e.what());
        }
        end();
    }
    bool in_transaction() const noexcept override { return !savepoint_.empty(); }
    // Isolation and read_only are the outer transaction's (see outer_transaction.hpp).
    void set_transaction_options(const transaction_options&) override {}
    backend kind() const noexcept override { return outer_->kind(); }

private:
    task<void> begin()
    {
        co_await outer_->take_turn();
        std::string name = outer_->next_savepoint();
        std::exception_ptr failure;
        try {
            std::string create = "SAVEPOINT " + name;
            co_await outer_->execute(std::move(create));
            savepoint_ = std::move(name);
            co_return;
        } catch (...) {
            failure = std::current_exception();
        }
        outer_->give_turn();
        std::rethrow_exception(failure);
    }
    void end()
    {
        savepoint_.clear();
        outer_->give_turn();
    }

    std::shared_ptr<detail::outer_state> outer_;
    std::string savepoint_;  // the open savepoint's name; empty between transactions
};

class rollback_pool final : public db::detail::pool_impl {
public:
    rollback_pool(std::shared_ptr<detail::outer_state> outer, std::shared_ptr<db::detail::pool_impl> real)
        : outer_(std::move(outer)), real_(std::move(real))
    {
    }
    std::unique_ptr<db::detail::session_impl> make_session() override { return std::make_unique<rollback_session>(outer_); }
    void close() override { outer_->close(); }  // the real pool stays open for the next test
    std::string_view ping_sql() const noexcept override { return real_->ping_sql(); }
    const url& database_url() const noexcept override { return real_->database_url(); }
    std::chrono::milliseconds checkout_timeout() const noexcept override { return real_->checkout_timeout(); }

private:
    std::shared_ptr<detail::outer_state> outer_;
    std::shared_ptr<db::detail::pool_impl> real_;
};

}  // namespace

outer_transaction::outer_transaction(const db::pool& database)
    : state_(std::make_shared<detail::outer_state>(database.make_session(), database.impl_->checkout_timeout())),
      pool_(std::shared_ptr<db::detail::pool_impl>(std::make_shared<rollback_pool>(state_, database.impl_)))
{
}

outer_transaction::~outer_transaction() { state_->finish(); }

}  // namespace keel::db::testing
