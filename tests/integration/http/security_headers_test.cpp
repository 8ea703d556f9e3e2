// Secure defaults: every response, successful or not, says nosniff and no-referrer.
#include <stdexcept>
#include <string>

#include <gtest/gtest.h>

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

class security_headers_test : public ::testing::Test {
protected:
    void SetUp() override
    {
        quiet_logs();
        auto a = std::make_unique<app>(test_server_settings());
        a->get("/items/{id}", [](path<int> id) -> task<item> { co_return item{std::to_string(*id)}; });
        a->get("/broken", []() -> task<item> { throw std::runtime_error("bug"); });
        a->get("/private", []() -> task<response> {
            response out = response::text(200, "secret");
            out.headers.emplace_back("Cache-Control", "no-store");
            co_return out;
        });
        server_.emplace(std::move(a));
    }
    static void expect_secure_defaults(const reply& r)
    {
        EXPECT_EQ(r.header("x-content-type-options"), "nosniff") << r.status;
        EXPECT_EQ(r.header("referrer-policy"), "no-referrer") << r.status;
    }

    std::optional<running_app> server_;
};

TEST_F(security_headers_test, on_success_and_on_every_error)
{
    for (const auto& [target, status] : {std::pair{"/items/1", 200}, std::pair{"/nowhere", 404}, std::pair{"/items/x", 422},
                                         std::pair{"/broken", 500}}) {
        const auto r = get(server_->port(), target);
        EXPECT_EQ(r.status, status) << target;
        expect_secure_defaults(r);
    }
    expect_secure_defaults(send(server_->port(), {.method = "DELETE", .target = "/items/1"}));  // 405
}

TEST_F(security_headers_test, on_a_malformed_request)
{
    raw_connection raw(server_->port());
    raw.write("GET /items/1 HTTP/1.1\r\n\r\n");  // no Host: 400
    const auto [text, closed] = raw.read_until_closed(10'000);
    EXPECT_EQ(text.rfind("HTTP/1.1 400 ", 0), 0u) << text;
    EXPECT_NE(text.find("\r\nX-Content-Type-Options: nosniff\r\nReferrer-Policy: no-referrer\r\n"), std::string::npos) << text;
}

TEST_F(security_headers_test, a_handler_marks_its_response_no_store)
{
    const auto r = get(server_->port(), "/private");
    EXPECT_EQ(r.header("cache-control"), "no-store");
    expect_secure_defaults(r);
}

}  // namespace
