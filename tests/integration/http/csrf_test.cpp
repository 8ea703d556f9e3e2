// CSRF over a real server: cookie-carrying unsafe requests need the double-submit token or a
// trusted Origin; bearer requests and safe methods are not affected.
#include <atomic>
#include <string>

#include <gtest/gtest.h>

#include <keel/testing/databases.hpp>
#include <keel/testing/http_client.hpp>
#include <keel/testing/app.hpp>

namespace {

using keel::task;
using namespace keel::http;
using namespace keel::testing;

constexpr const char* trusted = "https://app.example";

class csrf_test : public ::testing::Test {
protected:
    void SetUp() override
    {
        quiet_logs();
        auto a = std::make_unique<app>(test_server_settings());
        a->use(cors{.origins = {trusted}, .methods = {"POST"}, .headers = {"X-CSRF-Token"}, .credentials = true});
        a->use(csrf{.trusted_origins = {trusted}});
        a->post("/transfers", [this]() -> task<void> {
            ++handled_;
            co_return;
        });
        a->get("/transfers", [this]() -> task<void> {
            ++handled_;
            co_return;
        });
        server_.emplace(std::move(a));
    }
    reply call(const std::string& method, std::vector<std::pair<std::string, std::string>> headers)
    {
        return send(server_->port(), {.method = method, .target = "/transfers", .headers = std::move(headers)});
    }

    std::atomic<int> handled_{0};
    std::optional<running_app> server_;
};

TEST_F(csrf_test, a_cookie_without_a_token_is_refused)
{
    for (const auto& headers : std::vector<std::vector<std::pair<std::string, std::string>>>{
             {{"Cookie", "session=s1"}},
             {{"Cookie", "session=s1; csrftoken=t0k3n"}},
             {{"Cookie", "session=s1; csrftoken=t0k3n"}, {"X-CSRF-Token", "t0k3m"}},
             {{"Cookie", "csrftoken=t0k3n; csrftoken=planted"}, {"X-CSRF-Token", "planted"}},
             {{"Cookie", "csrftoken="}, {"X-CSRF-Token", ""}},
             {{"Cookie", "session=s1"}, {"Origin", "https://evil.example"}},
             {{"Cookie", "session=s1"}, {"Origin", "https://app.example.evil.example"}},
             {{"Cookie", "session=s1"}, {"Origin", "null"}},
             {{"Cookie", "session=s1"}, {"Authorization", "Bearer abc"}}}) {
        const auto r = call("POST", headers);
        EXPECT_EQ(r.status, 403) << headers.front().second;
        EXPECT_EQ(r.json().at("detail"), "CSRF token missing or incorrect");
    }
    EXPECT_EQ(handled_, 0);
}

TEST_F(csrf_test, a_matching_token_passes)
{
    EXPECT_EQ(call("POST", {{"Cookie", "session=s1; csrftoken=t0k3n"}, {"X-CSRF-Token", "t0k3n"}}).status, 204);
    EXPECT_EQ(handled_, 1);
}

TEST_F(csrf_test, a_trusted_origin_passes_and_may_read_the_answer)
{
    const auto r = call("POST", {{"Cookie", "session=s1"}, {"Origin", trusted}});
    EXPECT_EQ(r.status, 204);
    EXPECT_EQ(r.header("access-control-allow-origin"), trusted);
}

TEST_F(csrf_test, a_bearer_token_without_cookies_passes)
{
    EXPECT_EQ(call("POST", {{"Authorization", "Bearer abc"}}).status, 204);
    EXPECT_EQ(call("POST", {{"Authorization", "Bearer abc"}, {"Origin", "https://evil.example"}}).status, 204);
}

TEST_F(csrf_test, safe_methods_and_preflights_are_not_checked)
{
    EXPECT_EQ(call("GET", {{"Cookie", "session=s1"}}).status, 204);
    const auto pre = call("OPTIONS", {{"Origin", trusted}, {"Access-Control-Request-Method", "POST"},
                                      {"Access-Control-Request-Headers", "x-csrf-token"}, {"Cookie", "session=s1"}});
    EXPECT_EQ(pre.status, 200);
    EXPECT_EQ(handled_, 1);
}

TEST_F(csrf_test, a_refusal_for_an_untrusted_origin_is_not_readable_there)
{
    const auto r = call("POST", {{"Cookie", "session=s1"}, {"Origin", trusted + std::string(".")}});
    EXPECT_EQ(r.status, 403);
    EXPECT_EQ(r.header("access-control-allow-origin"), "");
}

}  // namespace
