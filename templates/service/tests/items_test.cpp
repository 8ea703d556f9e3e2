// The items API over real HTTP, against the real app on real databases: SQLite and a throwaway
// PostgreSQL server (started for this test program, deleted when it ends).
#include <gtest/gtest.h>

#include <keel/testing/app.hpp>
#include <keel/testing/http_client.hpp>
#include <keel/testing/rollback.hpp>

#include "migrations.hpp"
#include "service.hpp"

namespace {

using namespace keel::testing;

// Each test runs inside a transaction rolled back when it ends: every test starts from the
// migrated, empty database, whatever the others wrote.
class items_api : public ::testing::TestWithParam<backend> {
protected:
    void SetUp() override
    {
        quiet_logs();
        database_.emplace(GetParam(), "{{identifier}}", upgrade_to_head);
        {{identifier}}::settings config;
        static_cast<keel::http::server_settings&>(config) = test_server_settings();
        static_cast<keel::db::database_settings&>(config) = database_->settings();
        config.items_per_page = 2;
        app_.emplace({{identifier}}::make_app(config, database_->pool()));
    }
    std::uint16_t port() const { return app_->port(); }

    std::optional<rollback_database> database_;  // declared first: outlives the app using it
    std::optional<running_app> app_;
};

TEST_P(items_api, creates_reads_and_lists_items)
{
    auto created = post_json(port(), "/items", R"({"name":"hammer","quantity":3})");
    ASSERT_EQ(created.status, 201) << created.body;
    const auto id = created.json().at("id").as_int64();
    EXPECT_EQ(created.json().at("name").as_string(), "hammer");
    EXPECT_TRUE(created.json().at("description").is_null());
    EXPECT_FALSE(created.json().at("created_at").as_string().empty());  // the database's default

    auto read = get(port(), "/items/" + std::to_string(id));
    ASSERT_EQ(read.status, 200) << read.body;
    EXPECT_EQ(read.json(), created.json());

    post_json(port(), "/items", R"({"name":"saw"})");
    post_json(port(), "/items", R"({"name":"drill"})");
    auto first_page = get(port(), "/items");  // ITEMS_PER_PAGE is 2 here
    ASSERT_EQ(first_page.status, 200) << first_page.body;
    EXPECT_EQ(first_page.json().as_array().size(), 2u);
    auto rest = get(port(), "/items?limit=10&offset=2");
    ASSERT_EQ(rest.status, 200) << rest.body;
    ASSERT_EQ(rest.json().as_array().size(), 1u);
    EXPECT_EQ(rest.json().at(0).at("name").as_string(), "drill");
}

TEST_P(items_api, patch_changes_only_the_fields_sent)
{
    auto created = post_json(port(), "/items", R"({"name":"hammer","description":"claw","quantity":3})");
    ASSERT_EQ(created.status, 201) << created.body;
    const auto path = "/items/" + std::to_string(created.json().at("id").as_int64());

    auto patched = send(port(), {.method = "PATCH", .target = path, .body = R"({"quantity":5})"});
    ASSERT_EQ(patched.status, 200) << patched.body;
    EXPECT_EQ(patched.json().at("quantity").as_int64(), 5);
    EXPECT_EQ(patched.json().at("name").as_string(), "hammer");
    EXPECT_EQ(patched.json().at("description").as_string(), "claw");
    EXPECT_EQ(get(port(), path).json(), patched.json());
}

TEST_P(items_api, bad_input_gets_a_422_naming_the_field)
{
    auto nameless = post_json(port(), "/items", R"({"quantity":1})");
    ASSERT_EQ(nameless.status, 422) << nameless.body;
    EXPECT_EQ(nameless.json().at("detail").at(0).at("type").as_string(), "missing");
    EXPECT_EQ(nameless.json().at("detail").at(0).at("loc").at(1).as_string(), "name");

    EXPECT_EQ(post_json(port(), "/items", R"({"name":"x","quantity":-1})").status, 422);
    EXPECT_EQ(get(port(), "/items?limit=0").status, 422);
    EXPECT_EQ(get(port(), "/items/abc").status, 422);
}

TEST_P(items_api, a_missing_item_is_a_404)
{
    auto created = post_json(port(), "/items", R"({"name":"hammer"})");
    ASSERT_EQ(created.status, 201) << created.body;
    const auto path = "/items/" + std::to_string(created.json().at("id").as_int64());
    EXPECT_EQ(send(port(), {.method = "DELETE", .target = path}).status, 204);

    auto gone = get(port(), path);
    EXPECT_EQ(gone.status, 404);
    EXPECT_EQ(gone.json().at("detail").as_string(), "Item not found");
    EXPECT_EQ(send(port(), {.method = "DELETE", .target = path}).status, 404);
    EXPECT_EQ(send(port(), {.method = "PATCH", .target = path, .body = "{}"}).status, 404);
}

TEST_P(items_api, reports_ready_when_the_database_answers)
{
    EXPECT_EQ(get(port(), "/healthz").status, 200);
    EXPECT_EQ(get(port(), "/readyz").status, 200);
}

INSTANTIATE_TEST_SUITE_P(backends, items_api, ::testing::ValuesIn(all_backends()),
                         [](const auto& info) { return backend_name(info.param); });

}  // namespace
