// The roles plan as text (sqlpp11's serialize tests): quoting, both roles, default privileges.
#include <algorithm>
#include <fstream>

#include <gtest/gtest.h>
#include <unistd.h>

#include <keel/core/error.hpp>
#include <keel/ops/roles.hpp>

namespace {

using keel::ops::password_display;
using keel::ops::quote_identifier;
using keel::ops::quote_literal;
using keel::ops::role_plan;

keel::ops::role_settings roles(std::string owner = "app_owner", std::string app = "app_user")
{
    keel::ops::role_settings r;
    r.db_owner_role = std::move(owner);
    r.db_app_role = std::move(app);
    return r;
}

bool has(const std::vector<std::string>& plan, const std::string& statement)
{
    return std::find(plan.begin(), plan.end(), statement) != plan.end();
}

TEST(quote_identifier, doubles_double_quotes_and_keeps_everything_else)
{
    EXPECT_EQ(quote_identifier("users"), "\"users\"");
    EXPECT_EQ(quote_identifier("we\"ird'role; DROP"), "\"we\"\"ird'role; DROP\"");
    EXPECT_EQ(quote_identifier("Grüße"), "\"Grüße\"");
}

TEST(quote_identifier, refuses_names_postgres_would_change_or_that_cannot_be_shown)
{
    EXPECT_THROW(quote_identifier(""), std::invalid_argument);
    EXPECT_THROW(quote_identifier(std::string(64, 'a')), std::invalid_argument);  // silently cut to 63
    EXPECT_NO_THROW(quote_identifier(std::string(63, 'a')));
    EXPECT_THROW(quote_identifier("two\nlines"), std::invalid_argument);
    EXPECT_THROW(quote_identifier(std::string("nul\0byte", 8)), std::invalid_argument);
}

TEST(quote_literal, doubles_quotes_and_escapes_backslashes_in_an_e_literal)
{
    EXPECT_EQ(quote_literal("plain"), "'plain'");
    EXPECT_EQ(quote_literal("it's"), "'it''s'");
    EXPECT_EQ(quote_literal("back\\slash'"), "E'back\\\\slash'''");
    EXPECT_EQ(quote_literal(""), "''");
    EXPECT_THROW(quote_literal(std::string("a\0b", 3)), std::invalid_argument);
}

TEST(role_plan, creates_both_roles_without_ddl_rights_for_the_app)
{
    const auto plan = role_plan(roles(), "shop", password_display::redacted);
    EXPECT_TRUE(has(plan, "DO $keel$ BEGIN IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'app_owner') THEN "
                          "CREATE ROLE \"app_owner\"; END IF; END $keel$"));
    EXPECT_TRUE(has(plan, "ALTER ROLE \"app_user\" WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS"));
    EXPECT_TRUE(has(plan, "DO $keel$ BEGIN IF NOT EXISTS (SELECT FROM pg_catalog.pg_namespace WHERE nspname = 'public') THEN "
                          "CREATE SCHEMA \"public\" AUTHORIZATION \"app_owner\"; END IF; END $keel$"));
    EXPECT_TRUE(has(plan, "ALTER SCHEMA \"public\" OWNER TO \"app_owner\""));
    EXPECT_TRUE(has(plan, "REVOKE CREATE ON SCHEMA \"public\" FROM PUBLIC"));
    EXPECT_TRUE(has(plan, "REVOKE ALL ON DATABASE \"shop\" FROM PUBLIC"));
    EXPECT_TRUE(has(plan, "GRANT CONNECT, TEMPORARY ON DATABASE \"shop\" TO \"app_owner\""));
    EXPECT_TRUE(has(plan, "GRANT CONNECT ON DATABASE \"shop\" TO \"app_user\""));
    EXPECT_TRUE(has(plan, "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA \"public\" TO \"app_user\""));
    EXPECT_TRUE(has(plan, "GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA \"public\" TO \"app_user\""));
    for (const auto& statement : plan)  // the app gets rows, never CREATE or ownership
        if (statement.find("\"app_user\"") != std::string::npos) {
            EXPECT_EQ(statement.find("CREATE ON"), std::string::npos) << statement;
            EXPECT_EQ(statement.find("OWNER TO \"app_user\""), std::string::npos) << statement;
        }
}

TEST(role_plan, grants_the_app_rights_on_the_owners_future_tables_and_sequences)
{
    const auto plan = role_plan(roles(), "shop", password_display::redacted);
    EXPECT_TRUE(has(plan, "ALTER DEFAULT PRIVILEGES FOR ROLE \"app_owner\" IN SCHEMA \"public\" GRANT SELECT, INSERT, UPDATE, "
                          "DELETE ON TABLES TO \"app_user\""));
    EXPECT_TRUE(has(plan, "ALTER DEFAULT PRIVILEGES FOR ROLE \"app_owner\" IN SCHEMA \"public\" GRANT USAGE, SELECT ON "
                          "SEQUENCES TO \"app_user\""));
}

TEST(role_plan, quotes_odd_names_everywhere_they_appear)
{
    auto r = roles("own\"er", "o'app $keel$");
    r.db_schema = "my schema";
    const auto plan = role_plan(r, "db\"name", password_display::redacted);
    EXPECT_TRUE(has(plan, "GRANT CONNECT, TEMPORARY ON DATABASE \"db\"\"name\" TO \"own\"\"er\""));
    EXPECT_TRUE(has(plan, "GRANT CONNECT ON DATABASE \"db\"\"name\" TO \"o'app $keel$\""));
    EXPECT_TRUE(has(plan, "GRANT USAGE ON SCHEMA \"my schema\" TO \"o'app $keel$\""));
    // The name holds the dollar-quote tag: the DO body takes another, and the literal doubles the quote.
    EXPECT_TRUE(has(plan, "DO $keel1$ BEGIN IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'o''app $keel$') THEN "
                          "CREATE ROLE \"o'app $keel$\"; END IF; END $keel1$"));
}

TEST(role_plan, shows_passwords_only_when_asked)
{
    auto r = roles();
    r.db_app_password = keel::secret<>("s3cr'et\\");
    const auto hidden = role_plan(r, "shop", password_display::redacted);
    EXPECT_TRUE(has(hidden, "ALTER ROLE \"app_user\" WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD '***'"));
    for (const auto& statement : hidden)
        EXPECT_EQ(statement.find("s3cr"), std::string::npos) << statement;
    const auto shown = role_plan(r, "shop", password_display::shown);
    EXPECT_TRUE(has(shown, "ALTER ROLE \"app_user\" WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS "
                           "PASSWORD E's3cr''et\\\\'"));
}

TEST(role_plan, refuses_reserved_equal_or_missing_names)
{
    EXPECT_THROW(role_plan(roles("pg_owner"), "shop", password_display::redacted), std::invalid_argument);
    EXPECT_THROW(role_plan(roles("app_owner", "public"), "shop", password_display::redacted), std::invalid_argument);
    EXPECT_THROW(role_plan(roles("same", "same"), "shop", password_display::redacted), std::invalid_argument);
    EXPECT_THROW(role_plan(roles(), "", password_display::redacted), std::invalid_argument);
    EXPECT_THROW(role_plan(roles("", "app"), "shop", password_display::redacted), std::invalid_argument);
}

TEST(load_role_settings, reads_names_and_passwords_from_variables_or_files)
{
    const std::string file = ::testing::TempDir() + "keel-role-password-" + std::to_string(::getpid());
    std::ofstream(file) << "from-file\n";
    auto r = keel::ops::load_role_settings(keel::environment(std::map<std::string, std::string>{
        {"DB_OWNER_ROLE", "o"}, {"DB_APP_ROLE", "a"}, {"DB_OWNER_PASSWORD", "direct"}, {"DB_APP_PASSWORD_FILE", file}}));
    EXPECT_EQ(r.db_owner_role, "o");
    EXPECT_EQ(r.db_app_role, "a");
    EXPECT_EQ(r.db_owner_password.reveal(), "direct");
    EXPECT_EQ(r.db_app_password.reveal(), "from-file");  // the trailing newline is not part of it
    EXPECT_THROW(keel::ops::load_role_settings(keel::environment(std::map<std::string, std::string>{
                     {"DB_APP_PASSWORD", "x"}, {"DB_APP_PASSWORD_FILE", file}})),
                 keel::settings_error);
    EXPECT_THROW(keel::ops::load_role_settings(
                     keel::environment(std::map<std::string, std::string>{{"DB_APP_PASSWORD_FILE", file + ".missing"}})),
                 keel::settings_error);
    std::remove(file.c_str());
}

}  // namespace
