// The server with PostgreSQL under it: nothing blocks an I/O thread, pools fail fast with 503,
// no session leaks, and the service rides out a database restart.
#include <condition_variable>
#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>

#include <keel/core/block_on.hpp>
#include <keel/testing/app.hpp>
#include <keel/testing/databases.hpp>
#include <keel/testing/http_client.hpp>
#include <keel/testing/postgres.hpp>

#include "service.hpp"
#include "support/eventually.hpp"

namespace {

using keel::task;
using namespace keel::http;
using namespace keel::testing;

struct slept {
    bool done = true;
};
BOOST_DESCRIBE_STRUCT(slept, (), (done))

struct counted {
    std::int64_t n = 0;
};
BOOST_DESCRIBE_STRUCT(counted, (), (n))

// Holds a PostgreSQL advisory lock (key 42) in a transaction of its own until release(): a
// handler asking for it waits on the server for exactly as long as the test decides.
class advisory_lock {
public:
    explicit advisory_lock(const keel::db::database_settings& settings)
        : holder_([this, settings] {
              auto database = keel::db::pool::open(settings, 1);
              keel::block_on([&]() -> task<void> {
                  auto s = database.make_session();
                  co_await s.execute("SELECT pg_advisory_xact_lock(42)");
                  held_.set_value();
                  released_.get_future().wait();  // this thread's own io_context: nothing else to serve
                  co_await s.rollback();
              });
              database.close();
          })
    {
        held_.get_future().wait();
    }
    ~advisory_lock() { release(); }
    void release()
    {
        if (holder_.joinable()) {
            released_.set_value();
            holder_.join();
        }
    }

private:
    std::promise<void> held_, released_;
    std::thread holder_;
};

// Clients sending requests until stopped, recording every status. `make(n)` gives the n-th
// request (unique names for sign-ups).
class load {
public:
    load(std::uint16_t port, int clients, std::function<request_spec(int)> make)
    {
        for (int i = 0; i < clients; ++i)
            threads_.emplace_back([this, port, make] {
                while (!stop_) {
                    const int status = send(port, make(next_++)).status;
                    std::lock_guard lock(mutex_);
                    statuses_.push_back(status);
                    changed_.notify_all();
                }
            });
    }
    ~load() { stop(); }
    /// Blocks until `count` more replies arrived than `since` (a statuses().size()).
    void wait_for(std::size_t since, std::size_t count)
    {
        std::unique_lock lock(mutex_);
        changed_.wait(lock, [&] { return statuses_.size() >= since + count; });
    }
    std::vector<int> statuses()
    {
        std::lock_guard lock(mutex_);
        return statuses_;
    }
    void stop()
    {
        stop_ = true;
        for (auto& t : threads_)
            if (t.joinable())
                t.join();
    }

private:
    std::atomic<bool> stop_{false};
    std::atomic<int> next_{0};
    std::mutex mutex_;
    std::condition_variable changed_;
    std::vector<int> statuses_;
    std::vector<std::thread> threads_;
};

class postgres_http : public ::testing::Test {
protected:
    void SetUp() override
    {
        quiet_logs();
        database_ = fresh_database(backend::postgres);
    }
    std::unique_ptr<app> make(server_settings settings, keel::db::database_settings database)
    {
        auto a = std::make_unique<app>(settings);
        a->provide(keel::db::pool::open(database, settings.threads));
        a->get("/sleep", [](keel::db::session& db) -> task<slept> {
            co_await db.execute("SELECT pg_sleep(0.6)");
            co_return slept{};
        });
        a->get("/healthz", []() -> task<slept> { co_return slept{}; });
        a->get("/locked", [](keel::db::session& db) -> task<slept> {
            co_await db.execute("SELECT pg_advisory_xact_lock(42)");  // waits for the test's advisory_lock
            co_return slept{};
        });
        a->get("/sleep/long", [](keel::db::session& db) -> task<slept> {
            co_await db.execute("SELECT pg_sleep(60)");
            co_return slept{};
        });
        a->get("/count", [](keel::db::session& db) -> task<counted> {
            co_return counted{co_await db.one<std::int64_t>("SELECT count(*) FROM pg_class")};
        });
        return a;
    }
    int backends(const std::string& condition) const
    {
        return std::stoi(postgres_server::instance().psql("SELECT count(*) FROM pg_stat_activity WHERE datname = '" +
                                                          database_.database_url.database() + "' AND " + condition));
    }
    /// Sessions of this database waiting for the advisory lock.
    int lock_waiters() const { return backends("wait_event_type = 'Lock' AND wait_event = 'advisory'"); }
    int idle_in_transaction() const
    {
        return std::stoi(postgres_server::instance().psql(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = '" + database_.database_url.database() +
            "' AND state LIKE 'idle in transaction%'"));
    }
    keel::db::database_settings database_;
};

TEST_F(postgres_http, a_slow_query_does_not_delay_other_requests_on_its_thread)
{
    auto settings = test_server_settings();
    settings.threads = 1;
    running_app server(make(settings, database_));
    advisory_lock lock(database_);
    auto slow = std::async(std::launch::async, [&] { return get(server.port(), "/locked"); });
    ASSERT_TRUE(eventually([&] { return lock_waiters() == 1; }));
    // The only I/O thread answers while the query waits (blocked, it would not: the client's own
    // deadline would fail this).
    EXPECT_EQ(get(server.port(), "/healthz").status, 200);
    lock.release();
    EXPECT_EQ(slow.get().status, 200);
}

TEST_F(postgres_http, an_exhausted_pool_answers_503_after_pool_timeout)
{
    auto settings = test_server_settings();
    settings.threads = 1;
    database_.pool_size = 1;
    database_.max_overflow = 0;
    database_.pool_timeout = std::chrono::milliseconds(150);
    running_app server(make(settings, database_));
    advisory_lock lock(database_);
    auto holder = std::async(std::launch::async, [&] { return get(server.port(), "/locked"); });
    ASSERT_TRUE(eventually([&] { return lock_waiters() == 1; }));  // it holds the only connection
    auto r = get(server.port(), "/count");
    EXPECT_EQ(r.status, 503);
    EXPECT_NE(r.body.find("no connection free in time"), std::string::npos) << r.body;
    lock.release();
    EXPECT_EQ(holder.get().status, 200);
}

TEST_F(postgres_http, a_statement_timeout_is_a_503)
{
    database_.statement_timeout = std::chrono::milliseconds(100);
    running_app server(make(test_server_settings(), database_));
    auto r = get(server.port(), "/sleep");
    EXPECT_EQ(r.status, 503);
    EXPECT_EQ(r.body, R"({"detail":"Database query timed out"})");
    EXPECT_EQ(idle_in_transaction(), 0);
}

TEST_F(postgres_http, a_client_that_hangs_up_mid_request_leaks_no_session)
{
    running_app server(make(test_server_settings(), database_));
    advisory_lock lock(database_);
    {
        raw_connection c(server.port());
        c.write("GET /locked HTTP/1.1\r\nHost: x\r\n\r\n");
        ASSERT_TRUE(eventually([&] { return lock_waiters() == 1; }));
    }  // gone while the query waits
    lock.release();
    // The handler finishes, commits and gives its connection back: every session ends idle.
    EXPECT_TRUE(eventually([&] { return backends("state <> 'idle'") == 0; }));
    EXPECT_EQ(idle_in_transaction(), 0);
    EXPECT_EQ(get(server.port(), "/healthz").status, 200);
}

TEST_F(postgres_http, the_users_service_rides_out_a_database_restart)
{
    users::settings config;
    static_cast<server_settings&>(config) = test_server_settings();
    static_cast<keel::db::database_settings&>(config) = database_;
    config.password_hash_cost = keel::security::hash_cost::minimum;
    config.password_hash_queue = 256;  // a restart is tested, not shedding load
    config.secret_key = keel::secret<std::string>(std::string(32, 'k'));  // tests only
    config.pool_timeout = std::chrono::seconds(2);
    auto database = keel::db::pool::open(config, config.threads);
    users::upgrade_schema(database);
    running_app server(users::make_app(config, database));

    auto signup = [](const std::string& name) {
        return request_spec{"POST", "/users", R"({"username":")" + name + R"(","password":"12345678"})"};
    };
    auto signups = [&](int from, int count) {
        std::vector<request_spec> requests;
        for (int i = from; i < from + count; ++i)
            requests.push_back(signup("user" + std::to_string(i)));
        return send_concurrently(server.port(), requests);
    };
    auto before = signups(0, 20);
    for (const auto& r : before)
        ASSERT_EQ(r.status, 201) << r.body;

    // Restart the database while signups are in flight.
    load during(server.port(), 4, [&](int n) { return signup("during" + std::to_string(n)); });
    during.wait_for(0, 8);
    postgres_server::instance().stop();
    postgres_server::instance().start();
    during.wait_for(during.statuses().size(), 8);  // sign-ups go on after the restart
    during.stop();
    int created_during = 0;
    for (int status : during.statuses()) {
        EXPECT_TRUE(status == 201 || status == 503) << status;  // never a 500 or a hang
        created_during += status == 201;
    }
    // Recovered: new work succeeds, and every 201 the clients saw is in the table.
    auto after = signups(100, 10);
    for (const auto& r : after)
        EXPECT_EQ(r.status, 201) << r.body;
    EXPECT_EQ(get(server.port(), "/readyz").status, 200);
    const auto rows = std::stoi(postgres_server::instance().psql("SELECT count(*) FROM users", database_.database_url.database()));
    EXPECT_EQ(rows, 20 + created_during + 10);
}

TEST_F(postgres_http, a_request_past_request_timeout_is_a_504_and_its_statement_is_cancelled_on_the_server)
{
    auto settings = test_server_settings();
    settings.request_timeout = std::chrono::milliseconds(300);
    running_app server(make(settings, database_));
    auto r = get(server.port(), "/sleep/long");
    EXPECT_EQ(r.status, 504);
    EXPECT_EQ(r.body, R"({"detail":"Request timed out"})");
    const auto sleepers = [&] {
        return std::stoi(postgres_server::instance().psql("SELECT count(*) FROM pg_stat_activity WHERE query = "
                                                          "'SELECT pg_sleep(60)' AND state = 'active'"));
    };
    EXPECT_TRUE(eventually([&] { return sleepers() == 0; })) << "the statement still runs on the server";
    EXPECT_TRUE(eventually([&] { return idle_in_transaction() == 0; }));
    EXPECT_EQ(get(server.port(), "/healthz").status, 200);
}

// A database host that stops answering must not hang requests: each ends with 503
// (COMMAND_TIMEOUT, CONNECT_TIMEOUT, POOL_TIMEOUT) or 504 (REQUEST_TIMEOUT), the server stays
// responsive, and once the host answers again so do requests, without a restart and with nothing
// left idle in transaction. The client's own 10 s deadline turns a hang into a failure.
TEST_F(postgres_http, a_frozen_database_fails_requests_within_their_deadlines_and_recovers)
{
    auto settings = test_server_settings();
    settings.request_timeout = std::chrono::milliseconds(1500);
    database_.command_timeout = std::chrono::milliseconds(400);
    database_.connect_timeout = std::chrono::milliseconds(400);
    database_.pool_timeout = std::chrono::milliseconds(400);
    running_app server(make(settings, database_));
    auto& pg = postgres_server::instance();

    load clients(server.port(), 6, [](int) { return request_spec{"GET", "/count", "", {}}; });
    clients.wait_for(0, 12);
    pg.freeze();
    const auto frozen_at = clients.statuses().size();
    clients.wait_for(frozen_at, 12);  // requests keep ending while nothing answers
    const auto healthz = get(server.port(), "/healthz").status;
    pg.thaw();
    const bool recovered = eventually([&] { return get(server.port(), "/count").status == 200; });
    clients.stop();

    EXPECT_EQ(healthz, 200);
    EXPECT_TRUE(recovered);
    const auto statuses = clients.statuses();
    std::map<int, int> seen;
    for (std::size_t i = 0; i < statuses.size(); ++i) {
        ++seen[statuses[i]];
        EXPECT_TRUE(statuses[i] == 200 || statuses[i] == 503 || statuses[i] == 504) << "reply " << i << ": " << statuses[i];
    }
    EXPECT_GT(seen[503] + seen[504], 0);
    EXPECT_TRUE(eventually([&] { return idle_in_transaction() == 0; }));
    for (int i = 0; i < 4; ++i)
        EXPECT_EQ(get(server.port(), "/count").status, 200);
}

}  // namespace
