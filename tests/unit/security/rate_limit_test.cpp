// GCRA with an injected clock (no sleeping), the in-process store, trusted proxies and the
// settings of rate limiting.
#include <gtest/gtest.h>

#include <keel/core/block_on.hpp>
#include <keel/core/error.hpp>
#include <keel/core/settings.hpp>
#include <keel/security/rate_limit.hpp>

#include "security/rate_store.hpp"

namespace {

using namespace keel::security;
using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

// A clock the test moves by hand.
struct manual_clock {
    clock_type::time_point now{clock_type::duration(1'000'000'000)};
    std::function<clock_type::time_point()> source()
    {
        return [this] { return now; };
    }
};

class rate_limiter_test : public ::testing::Test {
protected:
    rate_decision hit(const std::string& key, rate limit = per_minute(5))
    {
        auto decision = keel::block_on([&]() -> keel::task<std::optional<rate_decision>> {
            co_return co_await limiter_.hit(key, limit);
        });
        EXPECT_TRUE(decision.has_value());  // memory never fails
        return decision.value_or(rate_decision{});
    }
    manual_clock clock_;
    rate_limiter limiter_{rate_limit_settings{}, clock_.source()};
};

TEST_F(rate_limiter_test, a_quiet_client_may_spend_the_whole_limit_at_once_then_is_refused)
{
    for (std::uint32_t i = 0; i < 5; ++i) {
        const auto d = hit("a");
        EXPECT_TRUE(d.allowed) << i;
        EXPECT_EQ(d.limit, 5u);
        EXPECT_EQ(d.remaining, 4 - i);
        EXPECT_EQ(d.reset_after, 12s * (i + 1));  // the limit refills one request per 12 s
    }
    const auto refused = hit("a");
    EXPECT_FALSE(refused.allowed);
    EXPECT_EQ(refused.remaining, 0u);
    EXPECT_EQ(refused.retry_after, 12s);
    EXPECT_EQ(refused.reset_after, 60s);
}

TEST_F(rate_limiter_test, requests_come_back_one_interval_at_a_time)
{
    for (int i = 0; i < 5; ++i)
        hit("a");
    clock_.now += 11s;
    EXPECT_EQ(hit("a").retry_after, 1s);  // refusals do not push the time back
    clock_.now += 1s;
    const auto d = hit("a");
    EXPECT_TRUE(d.allowed);
    EXPECT_EQ(d.remaining, 0u);
    EXPECT_FALSE(hit("a").allowed);
    clock_.now += 60s;
    EXPECT_EQ(hit("a").remaining, 4u);  // a full minute of quiet gives the whole limit back
}

TEST_F(rate_limiter_test, keys_and_rates_are_counted_apart)
{
    for (int i = 0; i < 5; ++i)
        hit("a");
    EXPECT_FALSE(hit("a").allowed);
    EXPECT_TRUE(hit("b").allowed);
    const auto other = hit("c", rate{2, 1s});
    EXPECT_EQ(other.limit, 2u);
    EXPECT_EQ(other.remaining, 1u);
    EXPECT_EQ(other.reset_after, 500ms);
}

TEST_F(rate_limiter_test, many_keys_are_swept_once_their_time_passed)
{
    for (int i = 0; i < 5000; ++i)
        EXPECT_TRUE(hit("k" + std::to_string(i), rate{1, 1s}).allowed);
    clock_.now += 2s;
    for (int i = 0; i < 5000; ++i)
        EXPECT_TRUE(hit("k" + std::to_string(i), rate{1, 1s}).allowed);  // a swept key starts afresh
    EXPECT_FALSE(hit("k1", rate{1, 1s}).allowed);
}

TEST(gcra, a_rate_that_does_not_divide_evenly_never_grants_an_extra_request)
{
    const rate limit{3, 10ms};  // interval 3333 µs, period 9999 µs
    std::int64_t tat = 0;
    int allowed = 0;
    for (int i = 0; i < 10; ++i) {
        const auto step = detail::gcra(tat, 1'000'000, limit);
        tat = step.tat;
        allowed += step.decision.allowed;
        EXPECT_LE(step.decision.remaining, 2u);
    }
    EXPECT_EQ(allowed, 3);
}

TEST(gcra, a_rate_of_nothing_is_a_programming_error)
{
    EXPECT_THROW(detail::gcra(0, 0, rate{0, 1s}), std::invalid_argument);
    EXPECT_THROW(detail::gcra(0, 0, rate{1, 0s}), std::invalid_argument);
}

TEST(rate_limit_headers, seconds_are_whole_and_rounded_up)
{
    const auto headers = detail::rate_limit_headers(rate_decision{true, 5, 3, 1500ms, 0ms});
    const std::vector<std::pair<std::string, std::string>> expected{
        {"RateLimit-Limit", "5"}, {"RateLimit-Remaining", "3"}, {"RateLimit-Reset", "2"}};
    EXPECT_EQ(headers, expected);
}

TEST(proxy_list, addresses_and_cidr_blocks_of_both_families)
{
    const auto proxies = proxy_list::parse(" 10.0.0.0/8, 192.168.1.7 ,2001:db8::/32,::1");
    EXPECT_TRUE(proxies.contains("10.200.3.4"));
    EXPECT_FALSE(proxies.contains("11.0.0.1"));
    EXPECT_TRUE(proxies.contains("192.168.1.7"));
    EXPECT_FALSE(proxies.contains("192.168.1.8"));
    EXPECT_TRUE(proxies.contains("2001:db8:ffff::1"));
    EXPECT_TRUE(proxies.contains("::1"));
    EXPECT_TRUE(proxies.contains("::ffff:10.1.1.1"));  // IPv4-mapped is the same address
    EXPECT_FALSE(proxies.contains("not an address"));
    EXPECT_TRUE(proxy_list::parse("").empty());
    EXPECT_TRUE(proxy_list::parse("0.0.0.0/0").contains("8.8.8.8"));
    for (const char* bad : {"10.0.0.0/33", "::/129", "10.0.0.1/", "10.0.0/8", "example.com", "10.0.0.0/x"})
        EXPECT_THROW(proxy_list::parse(bad), std::invalid_argument) << bad;
}

TEST(proxy_list, forwarded_for_counts_only_from_a_trusted_peer)
{
    const auto proxies = proxy_list::parse("10.0.0.0/8");
    EXPECT_EQ(proxies.client_address("203.0.113.9", "198.51.100.1"), "203.0.113.9");  // untrusted peer
    EXPECT_EQ(proxies.client_address("10.0.0.1", std::nullopt), "10.0.0.1");
    EXPECT_EQ(proxies.client_address("10.0.0.1", "198.51.100.1"), "198.51.100.1");
    // Read from the right: the first untrusted hop is the client; what is left of it may be forged.
    EXPECT_EQ(proxies.client_address("10.0.0.1", "1.1.1.1, 198.51.100.1, 10.0.0.2"), "198.51.100.1");
    EXPECT_EQ(proxies.client_address("10.0.0.1", "10.0.0.3,10.0.0.2"), "10.0.0.3");
    EXPECT_EQ(proxies.client_address("10.0.0.1", "1.1.1.1, garbage, 10.0.0.2"), "10.0.0.2");
    EXPECT_EQ(proxies.client_address("10.0.0.1", ""), "10.0.0.1");
}

TEST(rate_limit_settings, are_read_from_the_environment_and_checked)
{
    const keel::environment env(std::map<std::string, std::string>{
        {"RATE_LIMIT_STORAGE", "redis://:pw@127.0.0.1:6380/2"}, {"RATE_LIMIT_FAILURE", "closed"},
        {"RATE_LIMIT_TIMEOUT", "100ms"}, {"TRUSTED_PROXIES", "10.0.0.0/8"}, {"LOGIN_RATE_LIMIT", "7"}});
    const auto s = keel::load_settings<rate_limit_settings>(env);
    EXPECT_EQ(s.rate_limit_failure, failure_policy::closed);
    EXPECT_EQ(s.rate_limit_timeout, 100ms);
    EXPECT_TRUE(s.trusted_proxies.contains("10.1.2.3"));
    EXPECT_EQ(s.login_rate_limit, 7u);
    const auto redis = detail::parse_redis_url(s.rate_limit_storage);
    ASSERT_TRUE(redis);
    EXPECT_EQ(redis->host, "127.0.0.1");
    EXPECT_EQ(redis->port, 6380);
    EXPECT_EQ(redis->password, "pw");
    EXPECT_EQ(redis->database, "2");
    EXPECT_EQ(detail::parse_redis_url("redis://localhost")->port, 6379);
    EXPECT_EQ(detail::parse_redis_url("Redis://localhost:6390")->port, 6390);  // a scheme's case means nothing

    const keel::environment bad(std::map<std::string, std::string>{
        {"RATE_LIMIT_FAILURE", "maybe"}, {"TRUSTED_PROXIES", "10.0.0.0/99"}});
    try {
        keel::load_settings<rate_limit_settings>(bad);
        FAIL() << "expected a settings_error";
    } catch (const keel::settings_error& e) {
        ASSERT_EQ(e.problems().size(), 2u);
        EXPECT_EQ(e.problems()[0], "RATE_LIMIT_FAILURE: expected open or closed");
        EXPECT_NE(e.problems()[1].find("TRUSTED_PROXIES: expected comma-separated"), std::string::npos);
        EXPECT_EQ(e.problems()[1].find("99"), std::string::npos);  // values are never echoed
    }
}

TEST(rate_limit_settings, the_limiter_refuses_what_cannot_work)
{
    rate_limit_settings s;
    s.rate_limit_storage = "memcached://host";
    s.rate_limit_timeout = 0ms;
    s.login_rate_limit = 0;
    try {
        rate_limiter limiter(s);
        FAIL() << "expected a settings_error";
    } catch (const keel::settings_error& e) {
        EXPECT_EQ(e.problems().size(), 3u);
    }
    for (const char* bad : {"redis://", "redis://h:0", "redis://h/x", "http://h"})
        EXPECT_FALSE(detail::parse_redis_url(bad)) << bad;
}

TEST(rate_limit_settings, a_redis_host_name_is_resolved_at_start_up_and_nothing_connects_yet)
{
    rate_limit_settings s;
    s.rate_limit_storage = "redis://localhost:1";  // /etc/hosts; nothing listens there, nothing is tried
    EXPECT_NO_THROW(rate_limiter{s});
}

}  // namespace
