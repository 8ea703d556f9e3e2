// CORS over a real server: preflights allowed and refused before the handler, simple requests
// from allowed and other origins, Vary, credentials, and what start-up refuses.
#include <atomic>
#include <string>

#include <gtest/gtest.h>

#include <keel/core/error.hpp>

#include <keel/testing/databases.hpp>
#include <keel/testing/http_client.hpp>
#include <keel/testing/app.hpp>

namespace {

using keel::task;
using namespace keel::http;
using namespace keel::testing;

struct item {
    std::string name;
};
BOOST_DESCRIBE_STRUCT(item, (), (name))

constexpr const char* allowed = "https://allowed.example";

class cors_test : public ::testing::Test {
protected:
    void start(const cors& policy)
    {
        quiet_logs();
        auto a = std::make_unique<app>(test_server_settings());
        a->use(policy);
        a->get("/items", [this]() -> task<item> {
            ++handled_;
            co_return item{"a"};
        });
        a->put("/items", [this]() -> task<item> {
            ++handled_;
            co_return item{"b"};
        });
        server_.emplace(std::move(a));
    }
    void start() { start({.origins = {allowed}, .methods = {"GET", "PUT"}, .headers = {"X-Token"}, .max_age = std::chrono::seconds(300)}); }

    reply preflight(const std::string& origin, const std::string& method, const std::string& headers = {})
    {
        request_spec spec{.method = "OPTIONS", .target = "/items", .headers = {{"Origin", origin}, {"Access-Control-Request-Method", method}}};
        if (!headers.empty())
            spec.headers.emplace_back("Access-Control-Request-Headers", headers);
        return send(server_->port(), spec);
    }
    reply get_from(const std::string& origin)
    {
        return send(server_->port(), {.method = "GET", .target = "/items", .headers = {{"Origin", origin}}});
    }

    std::atomic<int> handled_{0};
    std::optional<running_app> server_;
};

TEST_F(cors_test, an_allowed_preflight_is_answered_without_the_handler)
{
    start();
    const auto r = preflight(allowed, "PUT", "x-token, Content-Type");
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.header("access-control-allow-origin"), allowed);
    EXPECT_EQ(r.header("access-control-allow-methods"), "GET, PUT");
    EXPECT_EQ(r.header("access-control-allow-headers"), "accept, accept-language, content-language, content-type, x-token");
    EXPECT_EQ(r.header("access-control-max-age"), "300");
    EXPECT_EQ(r.header("vary"), "Origin");
    EXPECT_EQ(r.header("access-control-allow-credentials"), "");
    EXPECT_EQ(handled_, 0);
}

TEST_F(cors_test, a_preflight_for_an_unknown_path_is_answered_too)
{
    start();
    request_spec spec{.method = "OPTIONS", .target = "/nowhere", .headers = {{"Origin", allowed}, {"Access-Control-Request-Method", "GET"}}};
    EXPECT_EQ(send(server_->port(), spec).status, 200);
}

TEST_F(cors_test, a_refused_preflight_gets_400_without_allow_headers)
{
    start();
    struct refusal {
        const char *origin, *method, *headers, *detail;
    };
    for (const auto& [origin, method, headers, detail] :
         {refusal{"https://allowed.example.evil.example", "GET", "", "Disallowed CORS origin"},
          refusal{allowed, "DELETE", "", "Disallowed CORS method"}, refusal{allowed, "put", "", "Disallowed CORS method"},
          refusal{allowed, "GET", "x-token, x-other", "Disallowed CORS headers"},
          refusal{"null", "DELETE", "x-other", "Disallowed CORS origin, method, headers"}}) {
        const auto r = preflight(origin, method, headers);
        EXPECT_EQ(r.status, 400) << origin << ' ' << method << ' ' << headers;
        EXPECT_EQ(r.json().at("detail"), detail);
        EXPECT_EQ(r.header("vary"), "Origin");
        for (const char* name : {"access-control-allow-origin", "access-control-allow-methods", "access-control-allow-headers",
                                 "access-control-allow-credentials", "access-control-max-age"})
            EXPECT_EQ(r.header(name), "") << name;
    }
    EXPECT_EQ(handled_, 0);
}

TEST_F(cors_test, a_request_from_an_allowed_origin_may_be_read)
{
    start();
    const auto r = get_from(allowed);
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, R"({"name":"a"})");
    EXPECT_EQ(r.header("access-control-allow-origin"), allowed);
    EXPECT_EQ(r.header("vary"), "Origin");
}

TEST_F(cors_test, a_request_from_another_origin_is_served_but_not_allowed)
{
    start();
    for (const char* origin : {"https://allowed.example.evil.example", "https://allowed.example.", "HTTPS://ALLOWED.EXAMPLE",
                               "https://Allowed.example", "null", "https://allowed.example/"}) {
        const auto r = get_from(origin);
        EXPECT_EQ(r.status, 200) << origin;
        EXPECT_EQ(r.header("access-control-allow-origin"), "") << origin;
        EXPECT_EQ(r.header("vary"), "Origin") << origin;
    }
}

TEST_F(cors_test, errors_and_requests_without_origin_vary_too)
{
    start();
    const auto no_origin = get(server_->port(), "/items");
    EXPECT_EQ(no_origin.header("vary"), "Origin");
    EXPECT_EQ(no_origin.header("access-control-allow-origin"), "");
    const auto not_found = send(server_->port(), {.method = "GET", .target = "/nowhere", .headers = {{"Origin", allowed}}});
    EXPECT_EQ(not_found.status, 404);
    EXPECT_EQ(not_found.header("access-control-allow-origin"), allowed);  // the browser may read the error
}

TEST_F(cors_test, credentials_are_allowed_for_listed_origins)
{
    start({.origins = {allowed}, .credentials = true});
    const auto pre = preflight(allowed, "GET");
    EXPECT_EQ(pre.status, 200);
    EXPECT_EQ(pre.header("access-control-allow-credentials"), "true");
    EXPECT_EQ(pre.header("access-control-allow-origin"), allowed);
    const auto r = get_from(allowed);
    EXPECT_EQ(r.header("access-control-allow-credentials"), "true");
    EXPECT_EQ(r.header("access-control-allow-origin"), allowed);
    EXPECT_EQ(get_from("https://evil.example").header("access-control-allow-credentials"), "");
}

TEST_F(cors_test, any_origin_gets_star_and_no_vary)
{
    start({.origins = {"*"}, .methods = {"*"}, .headers = {"*"}});
    const auto pre = preflight("https://whoever.example", "PATCH", "X-Anything");
    EXPECT_EQ(pre.status, 200);
    EXPECT_EQ(pre.header("access-control-allow-origin"), "*");
    EXPECT_EQ(pre.header("access-control-allow-methods"), "PATCH");
    EXPECT_EQ(pre.header("access-control-allow-headers"), "X-Anything");
    const auto r = get_from("https://whoever.example");
    EXPECT_EQ(r.header("access-control-allow-origin"), "*");
    EXPECT_EQ(r.header("vary"), "");
}

TEST_F(cors_test, the_exact_bytes_of_a_preflight_answer)
{
    start();
    raw_connection raw(server_->port());
    raw.write("OPTIONS /items HTTP/1.1\r\nHost: x\r\nOrigin: https://allowed.example\r\n"
              "Access-Control-Request-Method: GET\r\nConnection: close\r\n\r\n");
    const auto [text, closed] = raw.read_until_closed(10'000);
    EXPECT_TRUE(closed);
    EXPECT_EQ(text.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << text;
    for (const char* line : {"\r\nVary: Origin\r\n", "\r\nAccess-Control-Allow-Origin: https://allowed.example\r\n",
                             "\r\nAccess-Control-Allow-Methods: GET, PUT\r\n", "\r\nAccess-Control-Max-Age: 300\r\n"})
        EXPECT_NE(text.find(line), std::string::npos) << line << " missing from\n" << text;
    EXPECT_EQ(text.find("Vary", text.find("Vary") + 1), std::string::npos) << "Vary twice:\n" << text;
}

TEST(cors_wiring, credentials_with_any_origin_stop_start_up)
{
    app a(test_server_settings());
    try {
        a.use(cors{.origins = {"*"}, .credentials = true});
        FAIL() << "accepted";
    } catch (const keel::error& e) {
        EXPECT_NE(std::string(e.what()).find("CORS_ORIGINS"), std::string::npos) << e.what();
    }
}

TEST(cors_wiring, use_after_start_is_refused)
{
    running_app server(std::make_unique<app>(test_server_settings()));
    EXPECT_THROW(server.app().use(cors{.origins = {allowed}}), std::logic_error);
}

}  // namespace
