// PostgreSQL-specific behaviour of the driver and pool, against the throwaway server.
#include <future>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <thread>

#include <gtest/gtest.h>

#include <keel/core/block_on.hpp>
#include <keel/db/errors.hpp>
#include <keel/db/pool.hpp>

#include <keel/testing/databases.hpp>
#include <keel/testing/http_client.hpp>
#include <keel/testing/postgres.hpp>
#include <keel/testing/app.hpp>

namespace {

using keel::task;
using namespace keel::db;
using keel::testing::backend;
using keel::testing::postgres_server;

struct typed_row {
    bool flag = false;
    std::int16_t small = 0;
    std::int64_t big = 0;
    double real = 0;
    std::string exact;  // numeric, kept exact
    std::string name;
    blob bytes;
    keel::timestamp at;
    std::string day;
    std::string id;
    std::string doc;
    std::optional<std::string> nothing;
};
BOOST_DESCRIBE_STRUCT(typed_row, (), (flag, small, big, real, exact, name, bytes, at, day, id, doc, nothing))

class postgres_test : public ::testing::Test {
protected:
    void SetUp() override
    {
        keel::testing::quiet_logs();
        settings_ = keel::testing::fresh_database(backend::postgres);
    }
    std::string database_name() const { return settings_.database_url.database(); }
    /// Sessions of this test's database that sit inside a transaction.
    int idle_in_transaction() const
    {
        return std::stoi(postgres_server::instance().psql(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = '" + database_name() +
            "' AND state LIKE 'idle in transaction%'"));
    }
    database_settings settings_;
};

TEST_F(postgres_test, decodes_every_supported_type)
{
    auto p = pool::open(settings_);
    const std::string sql =
            "SELECT true AS flag, 7::int2 AS small, 9007199254740993::int8 AS big, 2.5::float8 AS real,"
            " 12345678901234567890.0123456789::numeric AS exact, 'ann'::varchar AS name, $1::bytea AS bytes,"
            " '2026-11-25 01:02:03.5+02'::timestamptz AS at, '2026-11-25'::date AS day,"
            " 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid AS id, '{\"k\": [1, 2]}'::jsonb AS doc, NULL::text AS nothing";
    const blob bytes{0x00, 0xff, 0x10};
    auto row = keel::block_on([&]() -> task<typed_row> {
        auto s = p.make_session();
        auto r = co_await s.one<typed_row>(sql, bytes);
        co_await s.rollback();
        co_return r;
    });
    EXPECT_TRUE(row.flag);
    EXPECT_EQ(row.small, 7);
    EXPECT_EQ(row.big, 9007199254740993);
    EXPECT_EQ(row.real, 2.5);
    EXPECT_EQ(row.exact, "12345678901234567890.0123456789");
    EXPECT_EQ(row.name, "ann");
    EXPECT_EQ(row.bytes, (blob{0x00, 0xff, 0x10}));
    EXPECT_EQ(keel::format_iso8601(row.at), "2026-11-24T23:02:03.500000Z");
    EXPECT_EQ(row.day, "2026-11-25");
    EXPECT_EQ(row.id, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
    EXPECT_EQ(row.doc, R"({"k": [1, 2]})");
    EXPECT_FALSE(row.nothing);
}

TEST_F(postgres_test, unknown_types_and_wrong_targets_are_decode_errors)
{
    auto p = pool::open(settings_);
    keel::block_on([&]() -> task<void> {
        auto s = p.make_session();
        try {
            co_await s.execute("SELECT ARRAY[1, 2] AS numbers");
            ADD_FAILURE() << "an int4[] column decoded";
        } catch (const decode_error& e) {
            EXPECT_NE(std::string(e.what()).find("numbers"), std::string::npos) << e.what();
        }
        co_await s.rollback();
        auto t = p.make_session();
        EXPECT_THROW(co_await t.one<std::int64_t>("SELECT 'text'::text"), decode_error);
        EXPECT_THROW(co_await t.one<std::string>("SELECT NULL::text"), decode_error);
        co_await t.rollback();
    });
}

TEST_F(postgres_test, statement_timeout_cancels_and_reports_a_timeout)
{
    settings_.statement_timeout = std::chrono::milliseconds(200);
    auto p = pool::open(settings_);
    const auto started = std::chrono::steady_clock::now();
    keel::block_on([&]() -> task<void> {
        auto s = p.make_session();
        EXPECT_THROW(co_await s.execute("SELECT pg_sleep(5)"), statement_timeout);
        co_await s.rollback();
        auto t = p.make_session();  // the connection is still good
        EXPECT_EQ(co_await t.one<std::int64_t>("SELECT 1::int8"), 1);
        co_await t.rollback();
    });
    EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(3));
}

TEST_F(postgres_test, statement_timeout_from_the_url)
{
    settings_.database_url = url::parse(settings_.database_url.text() + "?statement_timeout=150ms");
    auto p = pool::open(settings_);
    keel::block_on([&]() -> task<void> {
        auto s = p.make_session();
        EXPECT_THROW(co_await s.execute("SELECT pg_sleep(5)"), statement_timeout);
        co_await s.rollback();
    });
}

TEST_F(postgres_test, connection_parameters_reach_the_server)
{
    settings_.application_name = "users-service";
    settings_.keepalives_idle = std::chrono::seconds(45);
    settings_.database_url = url::parse(settings_.database_url.text() + "?keepalives_interval=7&sslmode=disable");
    auto p = pool::open(settings_);
    keel::block_on([&]() -> task<void> {
        auto s = p.make_session();
        EXPECT_EQ(co_await s.one<std::string>("SELECT current_setting('application_name')"), "users-service");
        EXPECT_EQ(co_await s.one<std::string>("SELECT ssl::text FROM pg_stat_ssl WHERE pid = pg_backend_pid()"), "false");
        EXPECT_EQ(co_await s.one<std::string>("SELECT current_setting('TimeZone')"), "UTC");
        co_await s.rollback();
    });
    settings_.database_url = url::parse(settings_.database_url.text() + "&no_such_option=1");
    EXPECT_THROW(pool::open(settings_), connection_error);  // libpq rejects what it does not know
}

TEST_F(postgres_test, the_prepared_statement_cache_stays_bounded)
{
    auto p = pool::open(settings_, 1);
    boost::asio::io_context ioc(1);
    auto done = boost::asio::co_spawn(ioc, [&]() -> task<void> {
        auto s = p.make_session();
        for (int i = 0; i < 300; ++i)  // 300 distinct statement texts on one connection
            EXPECT_EQ(co_await s.one<std::int64_t>("SELECT CAST($1 AS INT8) + " + std::to_string(i), 1), 1 + i);
        const auto held = co_await s.one<std::int64_t>("SELECT count(*) FROM pg_prepared_statements");
        EXPECT_LE(held, 256);
        EXPECT_GT(held, 0);
        co_await s.commit();
    }, boost::asio::use_future);
    ioc.run();
    done.get();
}

TEST_F(postgres_test, bad_url_parameters_are_settings_errors)
{
    settings_.database_url = url::parse(settings_.database_url.text() + "?pool_size=many");
    EXPECT_THROW(pool::open(settings_), keel::settings_error);
}

TEST_F(postgres_test, pre_ping_replaces_a_connection_the_server_killed)
{
    settings_.pool_pre_ping_idle = std::chrono::milliseconds(0);  // ping at every checkout
    auto p = pool::open(settings_, 1);
    auto query = [&]() -> std::int64_t {
        return keel::block_on([&]() -> task<std::int64_t> {
            auto s = p.make_session();
            auto pid = co_await s.one<std::int64_t>("SELECT pg_backend_pid()::int8");
            co_await s.commit();
            co_return pid;
        });
    };
    // One io_context for both queries, so they share a lane and its idle connection.
    boost::asio::io_context ioc(1);
    auto first = boost::asio::co_spawn(ioc, [&]() -> task<std::int64_t> {
        auto s = p.make_session();
        auto pid = co_await s.one<std::int64_t>("SELECT pg_backend_pid()::int8");
        co_await s.commit();
        postgres_server::instance().psql("SELECT pg_terminate_backend(" + std::to_string(pid) + ")");
        auto t = p.make_session();
        auto replacement = co_await t.one<std::int64_t>("SELECT pg_backend_pid()::int8");
        co_await t.commit();
        EXPECT_NE(replacement, pid);
        co_return replacement;
    }, boost::asio::use_future);
    ioc.run();
    EXPECT_GT(first.get(), 0);
    EXPECT_GT(query(), 0);
}

TEST_F(postgres_test, without_pre_ping_a_killed_idle_connection_is_replaced_at_begin)
{
    settings_.pool_pre_ping = false;
    auto p = pool::open(settings_, 1);
    boost::asio::io_context ioc(1);
    auto done = boost::asio::co_spawn(ioc, [&]() -> task<void> {
        auto s = p.make_session();
        auto pid = co_await s.one<std::int64_t>("SELECT pg_backend_pid()::int8");
        co_await s.commit();
        postgres_server::instance().psql("SELECT pg_terminate_backend(" + std::to_string(pid) + ")");
        auto t = p.make_session();  // BEGIN finds the connection dead; a new one serves
        EXPECT_NE(co_await t.one<std::int64_t>("SELECT pg_backend_pid()::int8"), pid);
        co_await t.commit();
    }, boost::asio::use_future);
    ioc.run();
    done.get();
}

TEST_F(postgres_test, a_connection_killed_mid_transaction_fails_that_transaction_only)
{
    auto p = pool::open(settings_, 1);
    boost::asio::io_context ioc(1);
    auto done = boost::asio::co_spawn(ioc, [&]() -> task<void> {
        auto s = p.make_session();
        auto pid = co_await s.one<std::int64_t>("SELECT pg_backend_pid()::int8");
        postgres_server::instance().psql("SELECT pg_terminate_backend(" + std::to_string(pid) + ")");
        EXPECT_THROW(co_await s.execute("SELECT 1"), connection_error);
        co_await s.rollback();
        auto t = p.make_session();
        EXPECT_EQ(co_await t.one<std::int64_t>("SELECT 1::int8"), 1);
        co_await t.commit();
    }, boost::asio::use_future);
    ioc.run();
    done.get();
}

TEST_F(postgres_test, the_budget_guard_refuses_a_pool_the_server_cannot_hold)
{
    settings_.pool_size = 400;  // the test server allows 200
    try {
        pool::open(settings_, 2);
        FAIL() << "opened a pool of 400 + overflow on a server with max_connections 200";
    } catch (const connection_error& e) {
        const std::string message = e.what();
        EXPECT_NE(message.find("may open 410 connections"), std::string::npos) << message;
        EXPECT_NE(message.find("max_connections 200"), std::string::npos) << message;
        EXPECT_NE(message.find("POOL_SIZE"), std::string::npos) << message;
    }
    settings_.pool_budget_check = budget_check::warn;
    EXPECT_NO_THROW(pool::open(settings_, 2));
}

TEST_F(postgres_test, an_unreachable_server_fails_start_up_without_the_password)
{
    settings_.database_url = url::parse("postgresql://keel:hunter2@127.0.0.1:1/nowhere");
    settings_.connect_timeout = std::chrono::milliseconds(2000);
    try {
        pool::open(settings_);
        FAIL();
    } catch (const connection_error& e) {
        const std::string message = e.what();
        EXPECT_NE(message.find("postgresql://keel:***@127.0.0.1:1/nowhere"), std::string::npos) << message;
        EXPECT_EQ(message.find("hunter2"), std::string::npos) << message;
    }
}

TEST_F(postgres_test, abandoned_and_failed_sessions_leave_nothing_idle_in_transaction)
{
    auto p = pool::open(settings_);
    keel::block_on([&]() -> task<void> {
        {
            auto s = p.make_session();
            co_await s.execute("CREATE TABLE t (x int)");
        }  // dropped with the transaction open
        auto failed = p.make_session();
        co_await failed.execute("SELECT 1");
        EXPECT_THROW(co_await failed.execute("SELECT * FROM missing_table"), keel::db::error);
        EXPECT_THROW(co_await failed.commit(), keel::db::error);  // 25P02, and rolled back
        auto unprepared = p.make_session();  // a first statement that cannot be prepared opens nothing
        EXPECT_THROW(co_await unprepared.execute("SELECT * FROM missing_table"), keel::db::error);
        EXPECT_FALSE(unprepared.in_transaction());
        co_await unprepared.commit();
        co_return;
    });
    EXPECT_EQ(idle_in_transaction(), 0);
}

TEST_F(postgres_test, a_server_restart_fails_in_flight_work_then_the_pool_recovers)
{
    auto p = pool::open(settings_, 1);
    boost::asio::io_context ioc(1);
    auto done = boost::asio::co_spawn(ioc, [&]() -> task<void> {
        auto s = p.make_session();
        co_await s.execute("CREATE TABLE kept (x int)");
        co_await s.execute("INSERT INTO kept VALUES (1)");
        co_await s.commit();
        postgres_server::instance().stop();
        auto during = p.make_session();
        EXPECT_THROW(co_await during.execute("SELECT count(*) FROM kept"), connection_error);
        co_await during.rollback();
        postgres_server::instance().start();
        auto after = p.make_session();
        EXPECT_EQ(co_await after.one<std::int64_t>("SELECT count(*) FROM kept"), 1);  // the committed row survived
        co_await after.commit();
    }, boost::asio::use_future);
    ioc.run();
    done.get();
}

}  // namespace
