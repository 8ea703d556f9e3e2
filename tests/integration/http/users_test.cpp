// The users service contract over real HTTP, against a real server and a real database.
#include <set>

#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>

#include <keel/core/block_on.hpp>
#include <keel/testing/app.hpp>
#include <keel/testing/databases.hpp>
#include <keel/testing/http_client.hpp>
#include <keel/testing/rollback.hpp>

#include "service.hpp"

namespace {

namespace json = boost::json;
using namespace keel::testing;

// The service on a database shared by the tests of a backend: each test runs inside an outer
// transaction rolled back when it ends, so the tests pass in any order (--gtest_shuffle).
class users_api : public ::testing::TestWithParam<backend> {
protected:
    void SetUp() override
    {
        quiet_logs();
        database_.emplace(GetParam(), "users", users::upgrade_schema);
        start(database_->settings(), database_->pool());
    }
    void start(const keel::db::database_settings& database_settings, keel::db::pool database)
    {
        users::settings config;
        static_cast<keel::http::server_settings&>(config) = test_server_settings();
        static_cast<keel::db::database_settings&>(config) = database_settings;
        config.password_hash_cost = keel::security::hash_cost::minimum;  // tests only: fast hashes
        config.password_hash_queue = 256;  // these tests are about the database, not shedding load
        config.secret_key = keel::secret<std::string>(std::string(32, 'k'));  // tests only
        server_.emplace(users::make_app(config, database));
    }
    std::uint16_t port() const { return server_->port(); }
    keel::db::pool database() const { return database_->pool(); }
    reply create(const std::string& username, const std::string& password = "correct horse")
    {
        return post_json(port(), "/users", json::serialize(json::object{{"username", username}, {"password", password}}));
    }

    std::optional<rollback_database> database_;  // declared first: outlives the server using it
    std::optional<running_app> server_;
};

// Concurrent transactions on a real pool, which a rollback fixture would serialise: a new
// database per test.
class users_api_concurrency : public users_api {
protected:
    void SetUp() override
    {
        quiet_logs();
        const auto settings = fresh_database(GetParam());
        real_.emplace(keel::db::pool::open(settings));
        users::upgrade_schema(*real_);
        start(settings, *real_);
    }

    std::optional<keel::db::pool> real_;
};

std::string first_type(const reply& r) { return std::string(r.json().at("detail").at(0).at("type").as_string()); }
std::string first_loc(const reply& r) { return json::serialize(r.json().at("detail").at(0).at("loc")); }

TEST_P(users_api, create_returns_201_with_the_public_user)
{
    auto r = create("alice");
    ASSERT_EQ(r.status, 201) << r.body;
    EXPECT_EQ(r.header("content-type"), "application/json");
    auto user = r.json().as_object();
    EXPECT_EQ(user.size(), 3u) << r.body;  // id, username, created_at: never the hash
    EXPECT_GE(user.at("id").as_int64(), 1);
    EXPECT_EQ(user.at("username").as_string(), "alice");
    EXPECT_TRUE(keel::parse_iso8601(user.at("created_at").as_string()).has_value()) << r.body;
    EXPECT_EQ(r.body.find("argon2"), std::string::npos);
    EXPECT_EQ(r.body.find("password"), std::string::npos);
}

TEST_P(users_api, stores_an_argon2id_hash_not_the_password)
{
    ASSERT_EQ(create("bob", "plain-text-pw").status, 201);
    auto stored = keel::block_on([&]() -> keel::task<std::string> {
        auto s = database().make_session();
        auto h = co_await s.one<std::string>("SELECT hashed_password FROM users WHERE username = $1", "bob");
        co_await s.rollback();
        co_return h;
    });
    EXPECT_TRUE(stored.starts_with("$argon2id$")) << stored;
    EXPECT_EQ(stored.find("plain-text-pw"), std::string::npos);
}

TEST_P(users_api, duplicate_username_is_409)
{
    ASSERT_EQ(create("carol").status, 201);
    auto r = create("carol");
    EXPECT_EQ(r.status, 409);
    EXPECT_EQ(r.body, R"({"detail":"Username already registered"})");
}

TEST_P(users_api, validation_errors_are_fastapi_422s)
{
    struct bad {
        std::string body;
        std::string type;
        std::string loc;
    };
    const std::vector<bad> cases = {
        {R"({"username":"ab","password":"12345678"})", "string_too_short", R"(["body","username"])"},
        {R"({"username":")" + std::string(33, 'a') + R"(","password":"12345678"})", "string_too_long", R"(["body","username"])"},
        {R"({"username":"no spaces","password":"12345678"})", "string_pattern_mismatch", R"(["body","username"])"},
        {R"({"username":"dave","password":"1234567"})", "string_too_short", R"(["body","password"])"},
        {R"({"username":"dave","password":")" + std::string(129, 'p') + R"("})", "string_too_long", R"(["body","password"])"},
        {R"({"password":"12345678"})", "missing", R"(["body","username"])"},
        {R"({"username":"dave"})", "missing", R"(["body","password"])"},
        {R"({"username":42,"password":"12345678"})", "string_type", R"(["body","username"])"},
        {R"({"username":"dave","password":null})", "string_type", R"(["body","password"])"},
        {R"(["dave","12345678"])", "model_attributes_type", R"(["body"])"},
        {R"("just a string")", "model_attributes_type", R"(["body"])"},
        {R"({"username": "dave", )", "json_invalid", ""},
        {"", "missing", R"(["body"])"},
    };
    for (const auto& c : cases) {
        auto r = post_json(port(), "/users", c.body);
        EXPECT_EQ(r.status, 422) << c.body;
        EXPECT_EQ(first_type(r), c.type) << c.body << " → " << r.body;
        if (!c.loc.empty()) {
            EXPECT_EQ(first_loc(r), c.loc) << c.body;
        }
        EXPECT_TRUE(r.json().at("detail").at(0).as_object().contains("msg"));
    }
    auto both = post_json(port(), "/users", R"({"username":"x","password":"y"})");
    EXPECT_EQ(both.json().at("detail").as_array().size(), 2u) << both.body;
    auto form = send(port(), {"POST", "/users", "username=dave", {{"Content-Type", "application/x-www-form-urlencoded"}}});
    EXPECT_EQ(form.status, 422);
    EXPECT_EQ(get(port(), "/users").body, "[]");  // nothing was created by any of these
}

TEST_P(users_api, get_user_by_id)
{
    auto created = create("erin").json();
    auto id = created.at("id").as_int64();
    auto r = get(port(), "/users/" + std::to_string(id));
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(r.json(), created);
    auto missing = get(port(), "/users/999999");
    EXPECT_EQ(missing.status, 404);
    EXPECT_EQ(missing.body, R"({"detail":"User not found"})");
    for (const char* bad : {"/users/abc", "/users/1.5"}) {
        auto r422 = get(port(), bad);
        EXPECT_EQ(r422.status, 422) << bad;
        EXPECT_EQ(first_type(r422), "int_parsing") << bad;
        EXPECT_EQ(first_loc(r422), R"(["path","id"])");
    }
    // An integer, but past the id's 64 bits: a range error, as pydantic reports for le=.
    EXPECT_EQ(first_type(get(port(), "/users/99999999999999999999")), "less_than_equal");
}

TEST_P(users_api, list_is_ordered_and_paginated)
{
    for (const char* name : {"user1", "user2", "user3", "user4", "user5"})
        ASSERT_EQ(create(name).status, 201);
    auto all = get(port(), "/users").json().as_array();
    ASSERT_EQ(all.size(), 5u);
    for (std::size_t i = 1; i < all.size(); ++i)
        EXPECT_LT(all[i - 1].at("id").as_int64(), all[i].at("id").as_int64());
    auto page = get(port(), "/users?limit=2&offset=1").json().as_array();
    ASSERT_EQ(page.size(), 2u);
    EXPECT_EQ(page[0].at("username").as_string(), "user2");
    EXPECT_EQ(page[1].at("username").as_string(), "user3");
    EXPECT_EQ(get(port(), "/users?offset=5").body, "[]");
    EXPECT_EQ(get(port(), "/users?limit=100").json().as_array().size(), 5u);
    for (const char* bad : {"/users?limit=0", "/users?limit=101", "/users?offset=-1", "/users?limit=ten"}) {
        auto r = get(port(), bad);
        EXPECT_EQ(r.status, 422) << bad;
        EXPECT_TRUE(first_loc(r).starts_with(R"(["query",)")) << r.body;
    }
}

TEST_P(users_api, health_and_readiness)
{
    auto h = get(port(), "/healthz");
    EXPECT_EQ(h.status, 200);
    EXPECT_EQ(h.body, R"({"status":"ok"})");
    auto r = get(port(), "/readyz");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, R"({"status":"ok"})");
    database().close();  // the database no longer answers
    auto down = get(port(), "/readyz");
    EXPECT_EQ(down.status, 503);
    EXPECT_EQ(down.body, R"({"detail":"Database unavailable"})");
    EXPECT_EQ(get(port(), "/healthz").status, 200);  // liveness does not depend on the database
    EXPECT_EQ(get(port(), "/users/1").status, 503);
}

TEST_P(users_api_concurrency, concurrent_distinct_signups_all_succeed)
{
    std::vector<request_spec> requests;
    for (int i = 0; i < 200; ++i)
        requests.push_back({"POST", "/users", R"({"username":"user)" + std::to_string(i) + R"(","password":"12345678"})"});
    auto replies = send_concurrently(port(), requests);
    std::set<std::int64_t> ids;
    for (const auto& r : replies) {
        ASSERT_EQ(r.status, 201) << r.body;
        ids.insert(r.json().at("id").as_int64());
    }
    EXPECT_EQ(ids.size(), 200u);
    EXPECT_EQ(get(port(), "/users?limit=100&offset=100").json().as_array().size(), 100u);
}

TEST_P(users_api_concurrency, concurrent_signups_with_one_name_give_one_201)
{
    std::vector<request_spec> requests(50, request_spec{"POST", "/users", R"({"username":"same","password":"12345678"})"});
    auto replies = send_concurrently(port(), requests);
    int created = 0, conflicts = 0;
    for (const auto& r : replies) {
        if (r.status == 201)
            ++created;
        else if (r.status == 409)
            ++conflicts;
        else
            ADD_FAILURE() << r.status << " " << r.body;
    }
    EXPECT_EQ(created, 1);
    EXPECT_EQ(conflicts, 49);
    EXPECT_EQ(get(port(), "/users").json().as_array().size(), 1u);
}

TEST_P(users_api, unknown_path_and_wrong_method)
{
    auto r = get(port(), "/nope");
    EXPECT_EQ(r.status, 404);
    EXPECT_EQ(r.body, R"({"detail":"Not Found"})");
    auto m = send(port(), {"DELETE", "/users", "", {}});
    EXPECT_EQ(m.status, 405);
    EXPECT_EQ(m.header("allow"), "GET, HEAD, POST");
    EXPECT_EQ(m.body, R"({"detail":"Method Not Allowed"})");
}

TEST_P(users_api, oversize_body_is_413_and_oversize_header_is_431)
{
    {
        raw_connection c(port());
        c.write("POST /users HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1048577\r\n\r\n{");
        auto [text, closed] = c.read_until_closed(3000);
        EXPECT_TRUE(text.starts_with("HTTP/1.1 413")) << text;
        EXPECT_TRUE(closed);
    }
    {
        raw_connection c(port());
        c.write("GET /users HTTP/1.1\r\nHost: x\r\nCookie: " + std::string(8200, 'c') + "\r\n\r\n");
        auto [text, closed] = c.read_until_closed(3000);
        EXPECT_TRUE(text.starts_with("HTTP/1.1 431")) << text.substr(0, 60);
        EXPECT_TRUE(closed);
    }
    EXPECT_EQ(get(port(), "/users").body, "[]");
}

TEST_P(users_api, a_half_sent_signup_is_dropped_after_the_read_timeout)
{
    raw_connection c(port());
    c.write("POST /users HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 60\r\n\r\n"
            "{\"username\":\"half\",");
    auto [text, closed] = c.read_until_closed(5000);  // read_timeout is 500 ms in tests
    EXPECT_TRUE(closed);
    EXPECT_TRUE(text.empty()) << text;
    EXPECT_EQ(get(port(), "/users").body, "[]");  // nothing half-written
}

// Issue 11's "done when": both create the same username and both pass, in either order, because
// neither sees what the other committed.
TEST_P(users_api, the_same_username_is_free_in_every_test_first)
{
    EXPECT_EQ(get(port(), "/users").body, "[]");
    auto r = create("isolated");
    EXPECT_EQ(r.status, 201) << r.body;
}

TEST_P(users_api, the_same_username_is_free_in_every_test_second)
{
    EXPECT_EQ(get(port(), "/users").body, "[]");
    auto r = create("isolated");
    EXPECT_EQ(r.status, 201) << r.body;
    EXPECT_EQ(create("isolated").status, 409);  // committed for the rest of this test only
}

INSTANTIATE_TEST_SUITE_P(backends, users_api, ::testing::ValuesIn(all_backends()),
                         [](const auto& info) { return backend_name(info.param); });
INSTANTIATE_TEST_SUITE_P(backends, users_api_concurrency, ::testing::ValuesIn(all_backends()),
                         [](const auto& info) { return backend_name(info.param); });

}  // namespace
