// pipeline_autocommit (PostgreSQL): autocommit statements of many sessions share one pipelined
// connection per I/O thread, against the throwaway server.
#include <chrono>
#include <set>
#include <thread>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <gtest/gtest.h>

#include <keel/core/block_on.hpp>
#include <keel/db/errors.hpp>
#include <keel/db/pool.hpp>
#include <keel/testing/databases.hpp>
#include <keel/testing/postgres.hpp>

#include "support/eventually.hpp"

namespace {

namespace asio = boost::asio;
using keel::task;
using namespace keel::db;
using keel::testing::backend;
using keel::testing::postgres_server;

constexpr transaction_options autocommit{.autocommit = true};
// Named, not literals in co_await expressions: see README on g++ 12.
constexpr std::string_view backend_pid = "SELECT pg_backend_pid()::int8";
constexpr std::string_view doubled = "SELECT $1::int8 * 2";
constexpr std::string_view plus_one = "SELECT $1::int8 + 1";
constexpr std::string_view insert_item = "INSERT INTO item VALUES ($1)";
constexpr std::string_view count_items = "SELECT count(*) FROM item";

/// `work(session&)` in an autocommit session of `database`.
template <class F>
std::invoke_result_t<F&, session&> in_autocommit_session(const pool& database, F work)
{
    auto s = database.make_session();
    s.set_transaction_options(autocommit);
    co_return co_await work(s);
}

class pipeline_test : public ::testing::Test {
protected:
    void SetUp() override
    {
        keel::testing::quiet_logs();
        settings_ = keel::testing::fresh_database(backend::postgres_pipelined);
        settings_.pool_size = 4;
        database_.emplace(pool::open(settings_, 1));
        keel::block_on([&]() -> task<void> {
            auto s = database_->make_session();
            co_await s.execute("CREATE TABLE item (id INT PRIMARY KEY)");
            co_await s.commit();
        });
    }
    /// Runs `work` in an autocommit session on `ioc`.
    template <class F>
    auto spawn(asio::io_context& ioc, F work)
    {
        return asio::co_spawn(ioc, in_autocommit_session(*database_, std::move(work)), asio::use_future);
    }
    database_settings settings_;
    std::optional<pool> database_;
};

TEST_F(pipeline_test, concurrent_sessions_share_one_connection_and_each_gets_its_own_rows)
{
    asio::io_context ioc(1);
    struct answer {
        std::int64_t doubled;
        std::vector<std::int64_t> plus_one;
        std::int64_t pid;
    };
    std::vector<std::future<answer>> answers;
    for (int i = 0; i < 200; ++i)
        answers.push_back(spawn(ioc, [i](session& s) -> task<answer> {
            // Two statement texts, prepared while others are in flight; a batch of three.
            auto twice = co_await s.one<std::int64_t>(doubled, i);
            const std::vector<int> three(3, i);
            auto batch = co_await s.one_each<std::int64_t>(plus_one, three);
            auto pid = co_await s.one<std::int64_t>(backend_pid);
            co_return answer{twice, std::move(batch), pid};
        }));
    ioc.run();
    std::set<std::int64_t> pids;
    for (int i = 0; i < 200; ++i) {
        auto got = answers[i].get();
        EXPECT_EQ(got.doubled, 2 * i);
        EXPECT_EQ(got.plus_one, (std::vector<std::int64_t>{i + 1, i + 1, i + 1}));
        pids.insert(got.pid);
    }
    EXPECT_EQ(pids.size(), 1u) << "every autocommit statement of the thread travels on one connection";
}

TEST_F(pipeline_test, a_failing_statement_fails_alone)
{
    asio::io_context ioc(1);
    std::vector<std::future<bool>> inserted;
    for (int i = 0; i < 60; ++i)
        inserted.push_back(spawn(ioc, [i](session& s) -> task<bool> {
            try {
                co_await s.execute(insert_item, i % 50);  // ten duplicates
                co_return true;
            } catch (const unique_violation&) {
                co_return false;
            }
        }));
    ioc.run();
    int ok = 0;
    for (auto& f : inserted)
        ok += f.get();
    EXPECT_EQ(ok, 50);
    EXPECT_EQ(postgres_server::instance().psql("SELECT count(*) FROM item", settings_.database_url.database()), "50");
}

TEST_F(pipeline_test, bad_statements_are_errors_and_the_connection_stays)
{
    keel::block_on([&]() -> task<void> {
        auto s = database_->make_session();
        s.set_transaction_options(autocommit);
        const auto pid = co_await s.one<std::int64_t>(backend_pid);
        EXPECT_THROW(co_await s.execute("SELECT $1::int + $2::int", 1), keel::db::error);  // one argument short
        try {
            co_await s.execute("SELEKT 1");
            ADD_FAILURE() << "a syntax error passed";
        } catch (const keel::db::error& e) {
            EXPECT_EQ(e.sqlstate(), "42601");
        }
        EXPECT_EQ(co_await s.one<std::int64_t>(backend_pid), pid);
    });
}

TEST_F(pipeline_test, transactions_keep_a_connection_of_their_own)
{
    keel::block_on([&]() -> task<void> {
        auto shared = database_->make_session();
        shared.set_transaction_options(autocommit);
        const auto shared_pid = co_await shared.one<std::int64_t>(backend_pid);
        auto tx = database_->make_session();
        co_await tx.execute("INSERT INTO item VALUES (1)");
        EXPECT_NE(co_await tx.one<std::int64_t>(backend_pid), shared_pid);
        // Not committed yet: invisible to the shared connection.
        EXPECT_EQ(co_await shared.one<std::int64_t>(count_items), 0);
        co_await tx.rollback();
    });
}

TEST_F(pipeline_test, a_lost_connection_fails_what_was_in_flight_then_a_new_one_serves)
{
    asio::io_context ioc(1);
    auto first = spawn(ioc, [](session& s) -> task<std::int64_t> { co_return co_await s.one<std::int64_t>(backend_pid); });
    ioc.run();
    const auto pid = first.get();
    // Killed once the three statements are running on it, so they are lost mid-flight.
    std::thread killer([pid] {
        auto& pg = postgres_server::instance();
        const auto running = [&] {
            return pg.psql("SELECT count(*) FROM pg_stat_activity WHERE pid = " + std::to_string(pid) +
                           " AND state = 'active' AND query LIKE '%pg_sleep(60)%'") == "1";
        };
        EXPECT_TRUE(keel::testing::eventually(running));
        pg.psql("SELECT pg_terminate_backend(" + std::to_string(pid) + ")");
    });
    std::vector<std::future<std::int64_t>> sleepers;
    for (int i = 0; i < 3; ++i)
        sleepers.push_back(spawn(ioc, [](session& s) -> task<std::int64_t> {
            co_return co_await s.one<std::int64_t>("SELECT 1::int8 FROM pg_sleep(60)");
        }));
    ioc.restart();
    ioc.run();
    killer.join();
    for (auto& f : sleepers) {
        try {
            f.get();
            ADD_FAILURE() << "a statement on a killed connection succeeded";
        } catch (const connection_error& e) {
            // lost with the connection, not given up on by keel's own deadline
            EXPECT_EQ(std::string(e.what()).find("COMMAND_TIMEOUT"), std::string::npos) << e.what();
        }
    }
    auto after = spawn(ioc, [](session& s) -> task<std::int64_t> { co_return co_await s.one<std::int64_t>(backend_pid); });
    ioc.restart();
    ioc.run();
    EXPECT_NE(after.get(), pid);
}

}  // namespace
