// A request past REQUEST_TIMEOUT on every backend: the answer is 504 and its statement stops, so
// the database connection it held serves the next request. (postgres_http_test also checks that
// PostgreSQL's server-side statement is gone.)
#include <gtest/gtest.h>

#include <boost/describe/class.hpp>

#include <keel/db/pool.hpp>
#include <keel/http/app.hpp>
#include <keel/testing/app.hpp>
#include <keel/testing/http_client.hpp>

#include "support/database_test.hpp"

namespace {

using keel::task;
using namespace keel::testing;

struct counted {
    std::int64_t n = 0;
};
BOOST_DESCRIBE_STRUCT(counted, (), (n))

class request_timeout : public database_test {
protected:
    void SetUp() override
    {
        database_test::SetUp();
        reopen_with_one_connection();  // the next request needs the very connection the endless one held
    }
    std::unique_ptr<keel::http::app> make()
    {
        auto settings = test_server_settings();
        settings.request_timeout = std::chrono::milliseconds(300);
        auto a = std::make_unique<keel::http::app>(settings);
        a->provide(*database_);
        a->get("/endless", [sql = endless_statement()](keel::db::session& db) -> task<counted> {
            co_return counted{co_await db.one<std::int64_t>(sql)};
        });
        a->get("/count", [](keel::db::session& db) -> task<counted> { co_return counted{co_await db.one<std::int64_t>("SELECT 1")}; });
        return a;
    }
};

TEST_P(request_timeout, a_request_past_it_is_a_504_and_its_statement_stops)
{
    running_app server(make());
    const auto timed_out = get(server.port(), "/endless");
    EXPECT_EQ(timed_out.status, 504);
    EXPECT_EQ(timed_out.body, R"({"detail":"Request timed out"})");
    const auto next = get(server.port(), "/count");  // on the one connection, within its own deadline
    EXPECT_EQ(next.status, 200) << next.body;
    EXPECT_EQ(next.body, R"({"n":1})");
}

KEEL_INSTANTIATE_FOR_EVERY_BACKEND(request_timeout);

}  // namespace
