// Per-route rate limits over real HTTP with the in-process store: 429 with Retry-After and the
// RateLimit-* headers, unlimited routes, keys per client address (from the peer, or from
// X-Forwarded-For only behind a trusted proxy), per user, and the log-in limit from its setting.
#include <gtest/gtest.h>

#include <keel/security/rate_limit.hpp>
#include <keel/testing/app.hpp>
#include <keel/testing/databases.hpp>
#include <keel/testing/http_client.hpp>

#include "support/rate_limit_app.hpp"

namespace {

using namespace keel::testing;
using keel::security::rate_limit_settings;

class rate_limit_test : public ::testing::Test {
protected:
    void SetUp() override { quiet_logs(); }
    running_app start(rate_limit_settings settings = {}) { return running_app(make_rate_limited_app(settings)); }
};

request_spec from(const std::string& target, const std::string& source, const std::string& forwarded_for = "")
{
    request_spec r{.target = target, .source_address = source};
    if (!forwarded_for.empty())
        r.headers.emplace_back("X-Forwarded-For", forwarded_for);
    return r;
}

TEST_F(rate_limit_test, the_request_over_the_limit_gets_429_with_retry_after_and_the_headers)
{
    auto server = start();
    for (int i = 0; i < 3; ++i) {
        const auto ok = get(server.port(), "/limited");
        EXPECT_EQ(ok.status, 200) << i;
        EXPECT_EQ(ok.header("ratelimit-limit"), "3");
        EXPECT_EQ(ok.header("ratelimit-remaining"), std::to_string(2 - i));
        EXPECT_EQ(ok.header("ratelimit-reset"), std::to_string(20 * (i + 1)));
    }
    const auto refused = get(server.port(), "/limited");
    EXPECT_EQ(refused.status, 429);
    EXPECT_EQ(refused.header("retry-after"), "20");
    EXPECT_EQ(refused.header("ratelimit-limit"), "3");
    EXPECT_EQ(refused.header("ratelimit-remaining"), "0");
    EXPECT_EQ(refused.header("ratelimit-reset"), "60");
    EXPECT_EQ(refused.json().at("detail").as_string(), "Too many requests, retry after 20 seconds");
}

TEST_F(rate_limit_test, unlimited_routes_are_unaffected)
{
    auto server = start();
    for (int i = 0; i < 4; ++i)
        get(server.port(), "/limited");
    const auto free = get(server.port(), "/free");
    EXPECT_EQ(free.status, 200);
    EXPECT_EQ(free.header("ratelimit-limit"), "");
}

TEST_F(rate_limit_test, each_client_address_has_its_own_limit)
{
    auto server = start();
    for (int i = 0; i < 3; ++i)
        EXPECT_EQ(send(server.port(), from("/limited", "127.0.0.2")).status, 200);
    EXPECT_EQ(send(server.port(), from("/limited", "127.0.0.2")).status, 429);
    const auto other = send(server.port(), from("/limited", "127.0.0.3"));
    EXPECT_EQ(other.status, 200);
    EXPECT_EQ(other.header("ratelimit-remaining"), "2");
}

TEST_F(rate_limit_test, forwarded_for_is_ignored_from_a_peer_that_is_not_a_trusted_proxy)
{
    rate_limit_settings settings;
    settings.trusted_proxies = keel::security::proxy_list::parse("10.0.0.0/8");  // not the test's 127.0.0.1
    auto server = start(settings);
    for (int i = 0; i < 3; ++i)
        EXPECT_EQ(send(server.port(), from("/limited", "127.0.0.1", "198.51.100." + std::to_string(i))).status, 200);
    EXPECT_EQ(send(server.port(), from("/limited", "127.0.0.1", "198.51.100.9")).status, 429);
}

TEST_F(rate_limit_test, forwarded_for_names_the_client_behind_a_trusted_proxy)
{
    rate_limit_settings settings;
    settings.trusted_proxies = keel::security::proxy_list::parse("127.0.0.1, 10.0.0.0/8");
    auto server = start(settings);
    for (int i = 0; i < 3; ++i)
        EXPECT_EQ(send(server.port(), from("/limited", "127.0.0.1", "198.51.100.1, 10.1.1.1")).status, 200);
    EXPECT_EQ(send(server.port(), from("/limited", "127.0.0.1", "198.51.100.1")).status, 429);
    // Another client behind the same proxy, even with a forged address to the left of its own.
    EXPECT_EQ(send(server.port(), from("/limited", "127.0.0.1", "198.51.100.1, 198.51.100.2")).status, 200);
}

TEST_F(rate_limit_test, a_limit_keyed_by_user_counts_each_user_apart)
{
    auto server = start();
    auto as = [&](const std::string& user) {
        request_spec r{.target = "/mine"};
        r.headers.emplace_back("X-User", user);
        return send(server.port(), r).status;
    };
    EXPECT_EQ(as("ann"), 200);
    EXPECT_EQ(as("ann"), 200);
    EXPECT_EQ(as("ann"), 429);
    EXPECT_EQ(as("bob"), 200);
    EXPECT_EQ(as(""), 200);  // an empty name is a user too: the dependency decides what a key is
}

TEST_F(rate_limit_test, log_ins_are_limited_by_the_setting_and_reads_are_not)
{
    rate_limit_settings settings;
    settings.login_rate_limit = 2;
    auto server = start(settings);
    EXPECT_EQ(post_json(server.port(), "/token", R"({"username":"ann","password":"wrong"})").status, 401);
    EXPECT_EQ(post_json(server.port(), "/token", R"({"username":"ann"})").status, 422);  // counted too
    const auto refused = post_json(server.port(), "/token", R"({"username":"ann","password":"secret"})");
    EXPECT_EQ(refused.status, 429);
    EXPECT_EQ(refused.header("ratelimit-limit"), "2");
    EXPECT_EQ(refused.header("retry-after"), "30");
    for (int i = 0; i < 5; ++i)
        EXPECT_EQ(get(server.port(), "/free").status, 200);
}

TEST_F(rate_limit_test, a_route_limited_without_a_limiter_is_refused_at_start)
{
    auto app = std::make_unique<keel::http::app>(test_server_settings());
    add_rate_limited_routes(*app);
    try {
        app->start();
        FAIL() << "expected start() to refuse";
    } catch (const keel::error& e) {
        EXPECT_NE(std::string(e.what()).find("GET /limited needs keel::security::rate_limiter"), std::string::npos)
            << e.what();
    }
}

}  // namespace
