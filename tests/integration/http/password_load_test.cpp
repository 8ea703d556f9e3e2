// Load shedding through real HTTP: when the password hasher's queue is full, a sign-up gets 503
// with Retry-After at once instead of waiting behind everyone else, and 2xx again once it drains.
#include <atomic>
#include <cstdlib>
#include <future>

#include <gtest/gtest.h>

#include <keel/security/password.hpp>

#include <keel/testing/databases.hpp>
#include <keel/testing/http_client.hpp>
#include <keel/testing/app.hpp>

namespace {

using keel::task;
using namespace keel::http;
using namespace keel::testing;
using keel::security::password_hasher;

struct credentials {
    keel::text<1, 128> password;
};
BOOST_DESCRIBE_STRUCT(credentials, (), (password))

struct hashed {
    std::string hash;
};
BOOST_DESCRIBE_STRUCT(hashed, (), (hash))

TEST(password_load, a_full_hashing_queue_answers_503_with_retry_after_then_recovers)
{
    quiet_logs();
    // The one hashing thread stops at the gate; `entered` says a request got there.
    std::promise<void> open, entered;
    std::shared_future<void> opened = open.get_future().share();
    std::atomic<bool> first{true};
    auto hasher = std::make_shared<password_hasher>(
        keel::security::password_settings{keel::security::hash_cost::minimum, 1, 0}, [&, opened] {
            if (first.exchange(false))
                entered.set_value();
            opened.wait();
        });
    auto a = std::make_unique<app>(test_server_settings());
    a->provide(hasher);
    a->post("/hash", [](body<credentials> in, const password_hasher& h) -> task<hashed> {
        auto hash = co_await h.hash(in->password.str());  // named: g++ 12 frees an awaited temporary early (README)
        co_return hashed{std::move(hash)};
    });
    running_app server(std::move(a));

    auto held = std::async(std::launch::async, [&] { return post_json(server.port(), "/hash", R"({"password":"first"})"); });
    entered.get_future().wait();  // the only place is taken

    auto refused = post_json(server.port(), "/hash", R"({"password":"second"})");
    EXPECT_EQ(refused.status, 503) << refused.body;
    EXPECT_EQ(refused.body, R"({"detail":"Server busy, retry later"})");
    const std::string retry_after = refused.header("retry-after");
    // Only EXPECTs until the gate opens: an early return would leave the hashing thread held.
    EXPECT_TRUE(!retry_after.empty() && retry_after.find_first_not_of("0123456789") == std::string::npos)
        << "Retry-After must be whole seconds: '" << retry_after << "'";
    EXPECT_GE(std::atoi(retry_after.c_str()), 1) << retry_after;

    open.set_value();
    auto first_reply = held.get();
    EXPECT_EQ(first_reply.status, 200) << first_reply.body;
    auto again = post_json(server.port(), "/hash", R"({"password":"third"})");
    EXPECT_EQ(again.status, 200) << again.body;
    EXPECT_TRUE(again.json().at("hash").as_string().starts_with("$argon2id$")) << again.body;
}

}  // namespace
