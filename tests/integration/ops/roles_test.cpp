// `db roles --apply` on a real PostgreSQL: the application role reads and writes rows and nothing
// more, the users service runs as it, and the plan can run again.
#include <cctype>

#include <fmt/format.h>

#include <gtest/gtest.h>

#include <keel/core/block_on.hpp>
#include <keel/db/errors.hpp>
#include <keel/ops/roles.hpp>
#include <keel/testing/app.hpp>
#include <keel/testing/databases.hpp>
#include <keel/testing/http_client.hpp>
#include <keel/testing/postgres.hpp>

#include "service.hpp"

namespace {

using keel::task;
namespace db = keel::db;
using namespace keel::testing;

// RFC 3986 userinfo: everything but unreserved characters percent-encoded.
std::string percent_encoded(const std::string& text)
{
    std::string out;
    for (unsigned char c : text)
        out += std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' ? std::string(1, char(c))
                                                                                : fmt::format("%{:02X}", c);
    return out;
}

class roles_on_postgres : public ::testing::Test {
protected:
    void SetUp() override
    {
        quiet_logs();
        admin_ = fresh_database(backend::postgres);
        roles_.db_owner_role = "shop_owner";
        roles_.db_app_role = "shop_app";
        roles_.db_app_password = keel::secret<>("it's a \\ secret");
    }
    // The same database, connecting as `role` (the test server trusts local connections).
    db::database_settings as(const std::string& role) const
    {
        auto settings = admin_;
        settings.database_url = db::url::parse("postgresql://" + percent_encoded(role) + "@127.0.0.1:" +
                                               std::to_string(postgres_server::instance().port()) + "/" +
                                               admin_.database_url.database());
        return settings;
    }
    std::string psql(const std::string& sql) const { return postgres_server::instance().psql(sql, admin_.database_url.database()); }

    db::database_settings admin_;
    keel::ops::role_settings roles_;
};

// The SQLSTATE a statement run alone in a session of `database` fails with ("" if it succeeds).
std::string failure_of(const db::pool& database, const char* sql)
{
    return keel::block_on([&]() -> task<std::string> {
        auto s = database.make_session();
        std::string sqlstate;
        try {
            co_await s.execute(sql);
            co_await s.commit();
        } catch (const db::error& e) {
            sqlstate = e.sqlstate();
        }
        co_await s.rollback();  // nothing left open after a failure
        co_return sqlstate;
    });
}

TEST_F(roles_on_postgres, apply_creates_an_owner_and_an_app_role_without_special_rights)
{
    keel::ops::apply_role_plan(admin_, roles_);
    EXPECT_EQ(psql("SELECT rolname, rolsuper, rolcreaterole, rolcreatedb, rolcanlogin, rolpassword IS NOT NULL FROM pg_authid"
                   " WHERE rolname IN ('shop_owner', 'shop_app') ORDER BY rolname"),
              "shop_app|f|f|f|t|t\nshop_owner|f|f|f|t|f");
    EXPECT_EQ(psql("SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = 'public'"), "shop_owner");
}

TEST_F(roles_on_postgres, the_app_role_reads_and_writes_rows_but_cannot_drop_or_create_tables)
{
    keel::ops::apply_role_plan(admin_, roles_);
    auto owner = db::pool::open(as("shop_owner"), 1);
    users::upgrade_schema(owner);  // migrations' job, as the owner
    auto app = db::pool::open(as("shop_app"), 1);
    keel::block_on([&]() -> task<void> {
        auto s = app.make_session();
        co_await s.execute("INSERT INTO users (username, hashed_password, token_subject) VALUES ('ann', 'h', 's1')");
        co_await s.execute("UPDATE users SET hashed_password = 'h2' WHERE username = 'ann'");
        EXPECT_EQ((co_await s.one<std::string>("SELECT hashed_password FROM users WHERE username = 'ann'")), "h2");
        co_await s.execute("DELETE FROM users WHERE username = 'ann'");
        co_await s.commit();
    });
    EXPECT_EQ(failure_of(app, "DROP TABLE users"), "42501");  // insufficient_privilege: must be owner
    EXPECT_EQ(failure_of(app, "CREATE TABLE x (id int)"), "42501");
    EXPECT_EQ(failure_of(app, "TRUNCATE users"), "42501");
    EXPECT_EQ(failure_of(app, "ALTER TABLE users ADD COLUMN x int"), "42501");
    EXPECT_EQ(failure_of(app, "CREATE TEMP TABLE scratch (id int)"), "42501");
    EXPECT_EQ(failure_of(owner, "CREATE TEMP TABLE scratch (id int)"), "");  // migrate check's models, read back
    // Tables the owner creates later come with the same rights (default privileges).
    EXPECT_EQ(failure_of(owner, "CREATE TABLE later (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, note TEXT)"), "");
    EXPECT_EQ(failure_of(app, "INSERT INTO later (note) VALUES ('x')"), "");
    EXPECT_EQ(failure_of(app, "DROP TABLE later"), "42501");
}

TEST_F(roles_on_postgres, the_users_service_serves_as_the_app_role)
{
    keel::ops::apply_role_plan(admin_, roles_);
    users::upgrade_schema(db::pool::open(as("shop_owner"), 1));
    users::settings config;
    static_cast<keel::http::server_settings&>(config) = test_server_settings();
    static_cast<db::database_settings&>(config) = as("shop_app");
    config.password_hash_cost = keel::security::hash_cost::minimum;
    config.secret_key = keel::secret<std::string>(std::string(32, 'k'));
    running_app server(users::make_app(config, db::pool::open(config, config.threads)));
    auto created = post_json(server.port(), "/users", R"({"username":"carol","password":"12345678"})");
    ASSERT_EQ(created.status, 201) << created.body;
    auto read = get(server.port(), "/users/" + std::to_string(created.json().at("id").as_int64()));
    EXPECT_EQ(read.status, 200) << read.body;
    EXPECT_EQ(read.json().at("username").as_string(), "carol");
}

TEST_F(roles_on_postgres, applying_twice_changes_nothing_and_fails_nothing)
{
    keel::ops::apply_role_plan(admin_, roles_);
    users::upgrade_schema(db::pool::open(as("shop_owner"), 1));
    const auto grants = "SELECT grantee, privilege_type FROM information_schema.role_table_grants"
                        " WHERE table_name = 'users' ORDER BY 1, 2";
    const auto before = psql(grants);
    EXPECT_NO_THROW(keel::ops::apply_role_plan(admin_, roles_));
    EXPECT_EQ(psql(grants), before);
    EXPECT_EQ(psql("SELECT count(*) FROM pg_roles WHERE rolname IN ('shop_owner', 'shop_app')"), "2");
}

TEST_F(roles_on_postgres, odd_role_names_are_created_exactly_as_given)
{
    roles_.db_owner_role = "o\"wn'er $keel$";
    roles_.db_app_role = "app; DROP TABLE x --";
    keel::ops::apply_role_plan(admin_, roles_);
    EXPECT_EQ(psql("SELECT count(*) FROM pg_roles WHERE rolname IN ('o\"wn''er $keel$', 'app; DROP TABLE x --')"), "2");
    users::upgrade_schema(db::pool::open(as(roles_.db_owner_role), 1));
    auto app = db::pool::open(as(roles_.db_app_role), 1);
    EXPECT_EQ(failure_of(app, "INSERT INTO users (username, hashed_password, token_subject) VALUES ('dan', 'h', 's2')"), "");
    EXPECT_EQ(failure_of(app, "DROP TABLE users"), "42501");
}

}  // namespace
