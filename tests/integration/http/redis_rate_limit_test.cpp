// Rate limits in a real Redis (tests/support/redis.hpp): one limit across two app instances,
// the failure policy when Redis is down or frozen (answered by RATE_LIMIT_TIMEOUT, never hung),
// and limits holding again once Redis is back.
#include <sstream>

#include <gtest/gtest.h>

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <keel/security/rate_limit.hpp>
#include <keel/testing/app.hpp>
#include <keel/testing/databases.hpp>
#include <keel/testing/http_client.hpp>

#include "support/rate_limit_app.hpp"
#include "support/redis.hpp"

namespace {

using namespace keel::testing;
using namespace std::chrono_literals;
using keel::security::failure_policy;
using keel::security::rate_limit_settings;

class redis_rate_limit_test : public ::testing::Test {
protected:
    void SetUp() override
    {
        quiet_logs();
        if (!redis_server::installed())
            GTEST_SKIP() << "redis-server is not installed (scripts/setup installs it)";
        redis_.emplace();
    }
    running_app start(failure_policy policy = failure_policy::open)
    {
        rate_limit_settings settings;
        settings.rate_limit_storage = redis_->url();
        settings.rate_limit_failure = policy;
        // Far below REQUEST_TIMEOUT (30 s): a 503 or a 200 instead of a 504 shows this deadline acted.
        settings.rate_limit_timeout = 200ms;
        return running_app(make_rate_limited_app(settings));
    }
    std::optional<redis_server> redis_;
};

TEST_F(redis_rate_limit_test, two_instances_sharing_one_redis_share_the_limit)
{
    auto first = start();
    auto second = start();
    const std::uint16_t ports[] = {first.port(), second.port(), first.port()};
    for (int i = 0; i < 3; ++i) {
        const auto ok = get(ports[i], "/limited");
        EXPECT_EQ(ok.status, 200) << i;
        EXPECT_EQ(ok.header("ratelimit-remaining"), std::to_string(2 - i));
    }
    for (auto port : {first.port(), second.port()}) {
        const auto refused = get(port, "/limited");
        EXPECT_EQ(refused.status, 429);
        EXPECT_EQ(refused.header("retry-after"), "20");
        EXPECT_EQ(refused.header("ratelimit-remaining"), "0");
    }
    EXPECT_EQ(send(second.port(), request_spec{.target = "/limited", .source_address = "127.0.0.2"}).status, 200);
}

TEST_F(redis_rate_limit_test, redis_down_fails_open_when_so_configured_and_says_so_in_the_log)
{
    std::ostringstream captured;
    auto& sinks = spdlog::default_logger()->sinks();
    sinks.push_back(std::make_shared<spdlog::sinks::ostream_sink_mt>(captured));
    {
        auto server = start(failure_policy::open);
        redis_->stop();
        for (int i = 0; i < 5; ++i) {
            const auto served = get(server.port(), "/limited");
            EXPECT_EQ(served.status, 200) << i;
            EXPECT_EQ(served.header("ratelimit-limit"), "");  // nothing was counted
        }
    }
    sinks.pop_back();
    const std::string expected = "rate limit store redis://127.0.0.1:" + std::to_string(redis_->port()) + " unavailable";
    EXPECT_NE(captured.str().find(expected), std::string::npos) << captured.str();
    EXPECT_NE(captured.str().find("RATE_LIMIT_FAILURE=open"), std::string::npos) << captured.str();
}

TEST_F(redis_rate_limit_test, redis_down_fails_closed_with_503_when_so_configured)
{
    auto server = start(failure_policy::closed);
    redis_->stop();
    const auto refused = get(server.port(), "/limited");
    EXPECT_EQ(refused.status, 503);
    EXPECT_EQ(refused.json().at("detail").as_string(), "Rate limiting unavailable, retry later");
    EXPECT_EQ(refused.header("retry-after"), "1");
    EXPECT_EQ(get(server.port(), "/free").status, 200);
}

TEST_F(redis_rate_limit_test, a_frozen_redis_never_hangs_a_request)
{
    auto open = start(failure_policy::open);
    auto closed = start(failure_policy::closed);
    EXPECT_EQ(get(open.port(), "/limited").status, 200);  // connections made before the freeze
    EXPECT_EQ(get(closed.port(), "/limited").status, 200);
    redis_->freeze();  // the kernel still accepts connections; nothing answers
    for (int i = 0; i < 2; ++i) {
        EXPECT_EQ(get(open.port(), "/limited").status, 200) << i;
        EXPECT_EQ(get(closed.port(), "/limited").status, 503) << i;
    }
    redis_->thaw();
}

TEST_F(redis_rate_limit_test, limits_hold_again_once_redis_is_back)
{
    auto server = start(failure_policy::closed);
    EXPECT_EQ(get(server.port(), "/limited").status, 200);
    redis_->stop();
    EXPECT_EQ(get(server.port(), "/limited").status, 503);
    redis_->start();  // empty, its script cache too: the limiter loads the script again
    for (int i = 0; i < 3; ++i)
        EXPECT_EQ(get(server.port(), "/limited").status, 200) << i;
    EXPECT_EQ(get(server.port(), "/limited").status, 429);
    redis_->freeze();
    EXPECT_EQ(get(server.port(), "/limited").status, 503);
    redis_->thaw();
    EXPECT_EQ(get(server.port(), "/limited").status, 429);
}

TEST_F(redis_rate_limit_test, a_restart_between_requests_costs_no_request)
{
    auto server = start(failure_policy::closed);
    EXPECT_EQ(get(server.port(), "/limited").status, 200);
    redis_->stop();  // the idle connection is closed by the server; the next request finds it so
    redis_->start();
    const auto after = get(server.port(), "/limited");
    EXPECT_EQ(after.status, 200);
    EXPECT_EQ(after.header("ratelimit-remaining"), "2");  // a new, empty Redis
}

}  // namespace
