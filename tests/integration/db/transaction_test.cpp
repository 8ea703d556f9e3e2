// Savepoints, transaction options and the retry helper, on every backend.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>

#include <keel/core/block_on.hpp>
#include <keel/db/errors.hpp>
#include <keel/db/pool.hpp>

#include "support/database_test.hpp"

namespace {

namespace asio = boost::asio;
using keel::task;
using namespace keel::db;
using keel::testing::backend;

task<void> until(const bool& flag)
{
    asio::steady_timer tick(co_await asio::this_coro::executor);
    while (!flag) {
        tick.expires_after(std::chrono::milliseconds(2));
        co_await tick.async_wait(asio::use_awaitable);
    }
}

class transaction_test : public keel::testing::database_test {
protected:
    void SetUp() override
    {
        database_test::SetUp();
        run_all({"CREATE TABLE counter (id INT PRIMARY KEY, value INT NOT NULL)", "INSERT INTO counter VALUES (1, 0)",
                 "CREATE TABLE log (line TEXT NOT NULL UNIQUE)"});
    }
};

TEST_P(transaction_test, a_failed_savepoint_is_undone_and_the_transaction_goes_on)
{
    keel::block_on([&]() -> task<void> {
        auto s = database_->make_session();
        co_await s.execute("INSERT INTO log VALUES ($1)", "outer");
        EXPECT_THROW(co_await s.savepoint([&]() -> task<void> {
            co_await s.execute("INSERT INTO log VALUES ($1)", "inner, undone");
            co_await s.execute("INSERT INTO log VALUES ($1)", "outer");  // unique violation
        }), unique_violation);
        auto kept = co_await s.savepoint([&]() -> task<std::int64_t> {
            co_await s.execute("INSERT INTO log VALUES ($1)", "inner, kept");
            // nested: the inner failure does not undo the outer savepoint's work
            EXPECT_THROW(co_await s.savepoint([&]() -> task<void> {
                co_await s.execute("INSERT INTO log VALUES ($1)", "inner, kept");
            }), unique_violation);
            co_return co_await s.one<std::int64_t>("SELECT count(*) FROM log");
        });
        EXPECT_EQ(kept, 2);
        co_await s.commit();
    });
    EXPECT_EQ(scalar("SELECT count(*) FROM log"), 2);
}

/// The SQLSTATE that awaiting `pending` fails with, or "succeeded".
task<std::string> sqlstate_of(task<result> pending)
{
    std::string sqlstate = "succeeded";
    try {
        co_await std::move(pending);
    } catch (const keel::db::error& e) {
        sqlstate = e.sqlstate();
    }
    co_return sqlstate;
}

/// Writes `line`, then fails to write it again (a unique violation): the transaction is aborted.
task<void> write_then_fail(session& s, const char* line)
{
    co_await s.execute("INSERT INTO log VALUES ($1)", line);
    EXPECT_THROW(co_await s.execute("INSERT INTO log VALUES ($1)", line), unique_violation);
}

// SQLite undoes only the failed statement and would go on; keel aborts the transaction there as
// PostgreSQL does, so that what passes on one backend does the same on the other.
TEST_P(transaction_test, an_error_aborts_the_transaction_until_it_is_rolled_back)
{
    keel::block_on([&]() -> task<void> {
        auto s = database_->make_session();
        co_await write_then_fail(s, "before the error");
        EXPECT_EQ(co_await sqlstate_of(s.execute("INSERT INTO log VALUES ($1)", "after the error")), "25P02");
        EXPECT_EQ(co_await sqlstate_of(s.execute("SELECT count(*) FROM log")), "25P02");
        EXPECT_EQ(co_await sqlstate_of(s.execute("RELEASE SAVEPOINT none")), "25P02");
        bool refused = false;
        try {
            co_await s.commit();
        } catch (const keel::db::error& e) {
            refused = e.sqlstate() == "25P02";
        }
        EXPECT_TRUE(refused) << "a commit after the error reported success";
        EXPECT_FALSE(s.in_transaction());  // the commit rolled it back
        co_await s.execute("INSERT INTO log VALUES ($1)", "the next transaction");
        co_await s.commit();
    });
    EXPECT_EQ(scalar("SELECT count(*) FROM log"), 1);
}

// A first statement that cannot even be prepared (PostgreSQL: before its BEGIN goes out, SQLite:
// before its BEGIN runs) begins nothing; one that fails as it runs has begun the transaction it
// aborts.
TEST_P(transaction_test, a_first_statement_refused_before_it_runs_begins_no_transaction)
{
    run_all({"INSERT INTO log VALUES ('taken')"});
    keel::block_on([&]() -> task<void> {
        auto s = database_->make_session();
        EXPECT_NE(co_await sqlstate_of(s.execute("SELECT * FROM no_such_table")), "succeeded");
        EXPECT_FALSE(s.in_transaction());
        EXPECT_THROW(co_await s.execute("INSERT INTO log VALUES ($1)", "taken"), unique_violation);
        EXPECT_TRUE(s.in_transaction());
        EXPECT_EQ(co_await sqlstate_of(s.execute("SELECT 1")), "25P02");
        co_await s.rollback();
        co_await s.execute("INSERT INTO log VALUES ($1)", "kept");
        co_await s.commit();
    });
    EXPECT_EQ(scalar("SELECT count(*) FROM log"), 2);
}

TEST_P(transaction_test, a_rollback_statement_ends_an_aborted_transaction)
{
    keel::block_on([&]() -> task<void> {
        auto s = database_->make_session();
        co_await write_then_fail(s, "undone");
        EXPECT_EQ(co_await sqlstate_of(s.execute("INSERT INTO log VALUES ($1)", "refused")), "25P02");
        co_await s.execute("rollback work;");
        EXPECT_FALSE(s.in_transaction());
        co_await s.execute("INSERT INTO log VALUES ($1)", "kept");
        co_await s.commit();
    });
    EXPECT_EQ(scalar("SELECT count(*) FROM log"), 1);
}

TEST_P(transaction_test, rolling_back_to_a_savepoint_lets_an_aborted_transaction_go_on)
{
    keel::block_on([&]() -> task<void> {
        auto s = database_->make_session();
        co_await s.execute("INSERT INTO log VALUES ($1)", "kept");
        co_await s.execute("SAVEPOINT before_the_error");
        co_await write_then_fail(s, "undone");
        EXPECT_NE(co_await sqlstate_of(s.execute("ROLLBACK TO SAVEPOINT no_such_savepoint")), "succeeded");
        EXPECT_EQ(co_await sqlstate_of(s.execute("SELECT 1")), "25P02");  // a failed ROLLBACK TO leaves it aborted
        co_await s.execute("Rollback Transaction To before_the_error");
        co_await s.execute("INSERT INTO log VALUES ($1)", "also kept");
        co_await s.commit();
    });
    EXPECT_EQ(scalar("SELECT count(*) FROM log"), 2);
}

TEST_P(transaction_test, read_only_transactions_refuse_writes)
{
    keel::block_on([&]() -> task<void> {
        auto s = database_->make_session();
        s.set_transaction_options({isolation::serializable, true});
        EXPECT_EQ(co_await s.one<std::int64_t>("SELECT count(*) FROM log"), 0);
        try {
            co_await s.execute("INSERT INTO log VALUES ($1)", "no");
            ADD_FAILURE() << "a read-only transaction wrote";
        } catch (const keel::db::error& e) {
            EXPECT_EQ(e.sqlstate(), "25006");
        }
        co_await s.rollback();
    });
    EXPECT_EQ(scalar("SELECT count(*) FROM log"), 0);
}

TEST_P(transaction_test, autocommit_commits_each_statement_on_its_own)
{
    keel::block_on([&]() -> task<void> {
        auto s = database_->make_session();
        s.set_transaction_options({.autocommit = true});
        co_await s.execute("INSERT INTO log VALUES ($1)", "first");
        EXPECT_FALSE(s.in_transaction());
        EXPECT_EQ(scalar("SELECT count(*) FROM log"), 1);  // visible to others at once: committed
        // A failed statement undoes only itself and leaves the session usable (no 25P02).
        EXPECT_THROW(co_await s.execute("INSERT INTO log VALUES ($1)", "first"), unique_violation);
        EXPECT_EQ(co_await s.one<std::int64_t>("SELECT count(*) FROM log"), 1);
        co_await s.execute("INSERT INTO log VALUES ($1)", "second");
        co_await s.rollback();  // nothing open: nothing to undo
        EXPECT_THROW(co_await s.savepoint([]() -> task<void> { co_return; }), std::logic_error);
        // Back to transactions: the next statement begins one again.
        s.set_transaction_options({});
        co_await s.execute("INSERT INTO log VALUES ($1)", "third, undone");
        EXPECT_TRUE(s.in_transaction());
        EXPECT_THROW(s.set_transaction_options({.autocommit = true}), std::logic_error);
        co_await s.rollback();
    });
    EXPECT_EQ(scalar("SELECT count(*) FROM log"), 2);
}

TEST_P(transaction_test, autocommit_refuses_what_needs_a_transaction)
{
    auto s = database_->make_session();
    EXPECT_THROW(s.set_transaction_options({.read_only = true, .autocommit = true}), std::invalid_argument);
    EXPECT_THROW(keel::block_on([&]() -> task<void> {
        co_await run_transaction(*database_, [](session&) -> task<void> { co_return; }, {.autocommit = true});
    }), std::invalid_argument);
}

TEST_P(transaction_test, run_transaction_retries_a_serialization_failure)
{
    if (GetParam() == backend::sqlite_memory)
        GTEST_SKIP() << "memdb's database-wide lock makes this choreography wait for busy_timeout instead";
    // Two read-modify-write transactions interleave; the second must be retried to see the first.
    asio::io_context ioc(1);
    bool first_read = false, second_read = false, first_done = false;
    int second_attempts = 0;
    const transaction_options serializable{isolation::serializable};
    auto first = asio::co_spawn(ioc, [&]() -> task<void> {
        co_await run_transaction(*database_, [&](session& s) -> task<void> {
            auto v = co_await s.one<std::int64_t>("SELECT value FROM counter WHERE id = 1");
            first_read = true;
            co_await until(second_read);  // both have read the same value
            co_await s.execute("UPDATE counter SET value = $1 WHERE id = 1", v + 1);
        }, serializable);
        first_done = true;
    }, asio::use_future);
    auto second = asio::co_spawn(ioc, [&]() -> task<void> {
        co_await until(first_read);
        co_await run_transaction(*database_, [&](session& s) -> task<void> {
            ++second_attempts;
            auto v = co_await s.one<std::int64_t>("SELECT value FROM counter WHERE id = 1");
            second_read = true;
            co_await until(first_done);
            co_await s.execute("UPDATE counter SET value = $1 WHERE id = 1", v + 1);
        }, serializable);
    }, asio::use_future);
    ioc.run();
    first.get();
    second.get();
    EXPECT_EQ(second_attempts, 2);
    EXPECT_EQ(scalar("SELECT value FROM counter WHERE id = 1"), 2);  // no lost update
}

TEST_P(transaction_test, run_transaction_gives_up_after_its_attempts)
{
    int attempts = 0;
    EXPECT_THROW(keel::block_on([&]() -> task<void> {
        co_await run_transaction(*database_, [&](session&) -> task<void> {
            ++attempts;
            throw serialization_failure("simulated", "40001");
            co_return;
        }, {}, 4);
    }), serialization_failure);
    EXPECT_EQ(attempts, 4);
    // Other errors are not retried.
    attempts = 0;
    EXPECT_THROW(keel::block_on([&]() -> task<void> {
        co_await run_transaction(*database_, [&](session& s) -> task<void> {
            ++attempts;
            co_await s.execute("INSERT INTO missing_table VALUES (1)");
        });
    }), keel::db::error);
    EXPECT_EQ(attempts, 1);
}

KEEL_INSTANTIATE_FOR_EVERY_BACKEND(transaction_test);

}  // namespace
