// Wiring mistakes fail when the app is put together, with a message naming the route and the
// missing piece, never as a 500 on every request.
#include <gtest/gtest.h>

#include <keel/core/error.hpp>
#include <keel/security/password.hpp>

#include <keel/testing/databases.hpp>
#include <keel/testing/app.hpp>

namespace {

using keel::task;
using namespace keel::http;
using namespace keel::testing;

struct reply {
    std::int64_t n = 0;
};
BOOST_DESCRIBE_STRUCT(reply, (), (n))

struct bad_pattern {
    keel::text<0, 10, "(unclosed"> name;
};
BOOST_DESCRIBE_STRUCT(bad_pattern, (), (name))

struct filter {
    std::optional<keel::text<0, 10, "[a-z"> > q;
};
BOOST_DESCRIBE_STRUCT(filter, (), (q))

// A dependency of the user's that itself needs a provided object.
struct needs_hasher {
    static task<needs_hasher> resolve(const keel::security::password_hasher&) { co_return needs_hasher{}; }
};

std::string message_of(const std::function<void()>& f)
{
    try {
        f();
    } catch (const std::exception& e) {
        return e.what();
    }
    return "(nothing thrown)";
}

TEST(wiring, path_parameters_must_match_the_template)
{
    app a(test_server_settings());
    const auto fewer = message_of([&] { a.get("/items/{id}", []() -> task<reply> { co_return reply{}; }); });
    EXPECT_NE(fewer.find("GET /items/{id}"), std::string::npos) << fewer;
    EXPECT_NE(fewer.find("1 {name}"), std::string::npos) << fewer;
    EXPECT_NE(fewer.find("0 path<>"), std::string::npos) << fewer;
    EXPECT_THROW(a.get("/items", [](path<int>) -> task<reply> { co_return reply{}; }), std::invalid_argument);
    EXPECT_NO_THROW(a.get("/items/{id}", [](path<int> id) -> task<reply> { co_return reply{*id}; }));
}

TEST(wiring, a_pattern_that_does_not_compile_is_reported_at_registration)
{
    app a(test_server_settings());
    const auto in_body = message_of([&] { a.post("/things", [](body<bad_pattern>) -> task<void> { co_return; }); });
    EXPECT_NE(in_body.find("body.name"), std::string::npos) << in_body;
    const auto in_query = message_of([&] { a.get("/things", [](query<filter>) -> task<void> { co_return; }); });
    EXPECT_NE(in_query.find("query.q"), std::string::npos) << in_query;
}

TEST(wiring, start_names_every_route_whose_provided_object_is_missing)
{
    app a(test_server_settings());
    a.get("/count", [](keel::db::session&) -> task<reply> { co_return reply{}; });
    a.post("/hash", [](needs_hasher) -> task<void> { co_return; });
    const auto message = message_of([&] { a.start(); });
    EXPECT_NE(message.find("GET /count needs keel::db::pool"), std::string::npos) << message;
    EXPECT_NE(message.find("POST /hash needs keel::security::password_hasher"), std::string::npos) << message;
}

TEST(wiring, routes_and_objects_cannot_be_added_once_started)
{
    quiet_logs();
    auto a = std::make_unique<app>(test_server_settings());
    a->get("/one", []() -> task<reply> { co_return reply{1}; });
    running_app server(std::move(a));
    EXPECT_THROW(server.app().get("/two", []() -> task<reply> { co_return reply{2}; }), std::logic_error);
    EXPECT_THROW(server.app().provide(std::make_shared<int>(1)), std::logic_error);
}

}  // namespace
