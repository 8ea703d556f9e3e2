// db::testing::outer_transaction: sessions run as savepoints of one transaction that is rolled
// back at the end, on every backend.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_future.hpp>

#include <keel/core/block_on.hpp>
#include <keel/db/errors.hpp>
#include <keel/db/outer_transaction.hpp>

#include "support/database_test.hpp"
#include "support/gate.hpp"

namespace {

namespace asio = boost::asio;
using keel::task;
using namespace keel::db;

class rollback_test : public keel::testing::database_test {
protected:
    void SetUp() override
    {
        database_test::SetUp();
        run_all({"CREATE TABLE items (name TEXT NOT NULL UNIQUE)"});
        outer_.emplace(*database_);
    }
    void TearDown() override
    {
        outer_.reset();
        database_test::TearDown();
    }
    pool inside() const { return outer_->pool(); }
    /// The items as a session of `through` sees them.
    static std::int64_t count_items(const pool& through)
    {
        return keel::block_on([&]() -> task<std::int64_t> {
            auto s = through.make_session();
            auto n = co_await s.one<std::int64_t>("SELECT count(*) FROM items");
            co_await s.commit();
            co_return n;
        });
    }
    static void insert_and_commit(const pool& through, const std::string& name)
    {
        keel::block_on([&]() -> task<void> {
            auto s = through.make_session();
            co_await s.execute("INSERT INTO items (name) VALUES ($1)", name);
            co_await s.commit();
        });
    }

    std::optional<keel::db::testing::outer_transaction> outer_;
};

TEST_P(rollback_test, what_sessions_commit_is_seen_inside_and_gone_after_the_end)
{
    insert_and_commit(inside(), "committed");
    EXPECT_EQ(count_items(inside()), 1);  // a later session of the same test sees it
    outer_.reset();
    EXPECT_EQ(count_items(*database_), 0);
    outer_.emplace(*database_);
    insert_and_commit(inside(), "committed");  // the same unique name again: nothing leaked
    EXPECT_EQ(count_items(inside()), 1);
}

TEST_P(rollback_test, its_sessions_tell_the_real_backend)
{
    EXPECT_EQ(inside().make_session().kind(), database_->kind());
}

TEST_P(rollback_test, a_rollback_undoes_only_its_own_session)
{
    insert_and_commit(inside(), "kept");
    keel::block_on([&]() -> task<void> {
        auto s = inside().make_session();
        co_await s.execute("INSERT INTO items (name) VALUES ($1)", "undone");
        EXPECT_TRUE(s.in_transaction());
        co_await s.rollback();
        EXPECT_FALSE(s.in_transaction());
        {
            auto dropped = inside().make_session();
            co_await dropped.execute("INSERT INTO items (name) VALUES ($1)", "dropped");
        }  // destroyed open: undone, and the connection is free for the next session
    });
    EXPECT_EQ(count_items(inside()), 1);
}

TEST_P(rollback_test, an_error_in_a_session_leaves_the_outer_transaction_usable)
{
    insert_and_commit(inside(), "first");
    keel::block_on([&]() -> task<void> {
        auto s = inside().make_session();
        co_await s.execute("INSERT INTO items (name) VALUES ($1)", "second");
        EXPECT_THROW(co_await s.execute("INSERT INTO items (name) VALUES ($1)", "first"), unique_violation);
        // The error aborted the session's transaction (on every backend): its commit says so,
        // and undoes the session's savepoint.
        EXPECT_THROW(co_await s.commit(), keel::db::error);
    });
    insert_and_commit(inside(), "third");
    EXPECT_EQ(count_items(inside()), 2);  // first and third; second went with its session
}

TEST_P(rollback_test, savepoint_blocks_nest_inside_a_session)
{
    keel::block_on([&]() -> task<void> {
        auto s = inside().make_session();
        co_await s.execute("INSERT INTO items (name) VALUES ($1)", "outer");
        co_await s.savepoint([&]() -> task<void> {
            co_await s.execute("INSERT INTO items (name) VALUES ($1)", "kept");
            EXPECT_THROW(co_await s.savepoint([&]() -> task<void> {
                co_await s.execute("INSERT INTO items (name) VALUES ($1)", "undone");
                co_await s.execute("INSERT INTO items (name) VALUES ($1)", "outer");  // unique violation
            }), unique_violation);
        });
        co_await s.commit();
    });
    EXPECT_EQ(count_items(inside()), 2);
}

TEST_P(rollback_test, autocommit_statements_and_batches_commit_each_in_a_savepoint)
{
    keel::block_on([&]() -> task<void> {
        auto s = inside().make_session();
        s.set_transaction_options({.autocommit = true});
        co_await s.execute("INSERT INTO items (name) VALUES ($1)", "alone");
        EXPECT_FALSE(s.in_transaction());
        EXPECT_THROW(co_await s.execute("INSERT INTO items (name) VALUES ($1)", "alone"), unique_violation);
        std::vector<statement> batch;
        batch.emplace_back("INSERT INTO items (name) VALUES ($1)", "batch");
        batch.emplace_back("INSERT INTO items (name) VALUES ($1)", "alone");
        auto other = inside().make_session();
        auto entries = co_await other.run_batch(std::move(batch), batch_commit::all_or_nothing);
        EXPECT_TRUE(entries[0].rows.has_value());
        EXPECT_THROW(entries[1].get(), unique_violation);
    });
    EXPECT_EQ(count_items(inside()), 1);  // "alone"; the failed batch left nothing
    outer_.reset();
    EXPECT_EQ(count_items(*database_), 0);
}

TEST_P(rollback_test, a_session_waits_for_the_one_holding_the_connection)
{
    keel::testing::gate holder_has_written, holder_may_commit;
    bool committed = false;
    auto holder = [&]() -> task<void> {
        auto s = inside().make_session();
        co_await s.execute("INSERT INTO items (name) VALUES ($1)", "held");
        holder_has_written.open();
        co_await holder_may_commit.wait();
        committed = true;
        co_await s.commit();
    };
    auto waiter = [&]() -> task<void> {
        co_await holder_has_written.wait();
        // Runs once this coroutine is suspended, that is, queued for the connection.
        auto executor = co_await asio::this_coro::executor;
        asio::post(executor, [&] { holder_may_commit.open(); });
        auto s = inside().make_session();
        auto n = co_await s.one<std::int64_t>("SELECT count(*) FROM items");
        EXPECT_TRUE(committed);  // on SQLite the same connection would have shown the row uncommitted
        EXPECT_EQ(n, 1);
        co_await s.rollback();
    };
    asio::io_context io(1);
    auto held = asio::co_spawn(io, holder, asio::use_future);
    auto waited = asio::co_spawn(io, waiter, asio::use_future);
    io.run();
    held.get();
    waited.get();
}

TEST_P(rollback_test, waiting_for_the_connection_ends_in_pool_timeout)
{
    outer_.reset();
    settings_.pool_timeout = std::chrono::milliseconds(100);
    reopen();
    outer_.emplace(*database_);
    keel::block_on([&]() -> task<void> {
        auto holder = inside().make_session();
        co_await holder.execute("SELECT 1");
        auto waiter = inside().make_session();
        EXPECT_THROW(co_await waiter.execute("SELECT 1"), pool_timeout);
        co_await holder.rollback();
        co_await waiter.execute("SELECT 1");  // the freed connection serves the next one
        co_await waiter.rollback();
    });
}

TEST_P(rollback_test, closing_the_rollback_pool_leaves_the_real_one_open)
{
    inside().close();  // as a stopping server does
    keel::block_on([&]() -> task<void> {
        auto s = inside().make_session();
        EXPECT_THROW(co_await s.execute("SELECT 1"), connection_error);
        EXPECT_THROW(co_await inside().ping(), connection_error);
    });
    outer_.reset();
    EXPECT_EQ(count_items(*database_), 0);
}

KEEL_INSTANTIATE_FOR_EVERY_BACKEND(rollback_test);

}  // namespace
