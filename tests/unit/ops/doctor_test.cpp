// Each doctor check on crafted inputs: text with and without secrets, file modes, URLs, and the
// facts a server would report.
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <unistd.h>

#include <keel/db/pool.hpp>

#include "ops/doctor_checks.hpp"

namespace {

namespace fs = std::filesystem;
using namespace keel::ops;
using namespace keel::ops::detail;

TEST(find_secrets, finds_urls_with_passwords_and_password_assignments_by_line)
{
    const auto found = find_secrets("# settings\n"
                                    "DATABASE_URL=postgresql://app:hunter2@db.example.com/app\n"
                                    "PASSWORD=plain\n"
                                    "  DB_PASSWORD: 's3cret'\n"
                                    "export SECRET_KEY=\"k3y\"\n");
    ASSERT_EQ(found.size(), 4u);
    EXPECT_EQ(found[0].line, 2u);
    EXPECT_EQ(found[0].kind, "a URL with a password");
    EXPECT_EQ(found[1].line, 3u);
    EXPECT_EQ(found[1].kind, "PASSWORD");
    EXPECT_EQ(found[2].kind, "DB_PASSWORD");
    EXPECT_EQ(found[3].line, 5u);
    EXPECT_EQ(found[3].kind, "SECRET_KEY");
}

TEST(find_secrets, ignores_placeholders_references_and_urls_without_passwords)
{
    EXPECT_TRUE(find_secrets("DATABASE_URL=postgresql://app@db/app?sslmode=require\n"
                             "URL=postgresql://app:${DB_PASSWORD}@db/app\n"
                             "POSTGRES_PASSWORD: ${POSTGRES_PASSWORD:?set it}\n"
                             "POSTGRES_PASSWORD=change-me\n"
                             "DB_PASSWORD=\n"
                             "DB_PASSWORD_FILE=/run/secrets/db\n"
                             "PASSWORD_HASH_COST=minimum\n"
                             "see http://127.0.0.1:8000/users and postgresql://app:***@db/app\n")
                    .empty());
}

TEST(tracked_env_findings, flags_settings_files_but_not_examples)
{
    const auto found = tracked_env_findings({"src/main.cpp", ".env", "deploy/.env.production", ".env.example", "README.md"});
    ASSERT_EQ(found.size(), 2u);
    EXPECT_EQ(found[0].level, severity::error);
    EXPECT_EQ(found[0].what, ".env is tracked by git");
    EXPECT_NE(found[0].fix.find("git rm --cached .env"), std::string::npos);
    EXPECT_EQ(found[1].what, "deploy/.env.production is tracked by git");
}

class project_dir : public ::testing::Test {
protected:
    void SetUp() override
    {
        dir_ = fs::temp_directory_path() / ("keel-doctor-unit-" + std::to_string(::getpid()));
        fs::create_directories(dir_);
    }
    void TearDown() override { fs::remove_all(dir_); }
    fs::path dir_;
};

TEST_F(project_dir, a_dotenv_readable_by_group_or_others_is_an_error)
{
    EXPECT_FALSE(env_permission_finding(dir_));  // no .env at all
    std::ofstream(dir_ / ".env") << "DB_PASSWORD=x\n";
    fs::permissions(dir_ / ".env", fs::perms::owner_read | fs::perms::owner_write);
    EXPECT_FALSE(env_permission_finding(dir_));
    fs::permissions(dir_ / ".env", fs::perms::owner_read | fs::perms::owner_write | fs::perms::others_read);
    auto found = env_permission_finding(dir_);
    ASSERT_TRUE(found);
    EXPECT_EQ(found->level, severity::error);
    EXPECT_NE(found->what.find("mode 604"), std::string::npos) << found->what;
    EXPECT_EQ(found->fix, "chmod 600 .env");
    fs::permissions(dir_ / ".env", fs::perms::owner_read | fs::perms::group_read);
    EXPECT_TRUE(env_permission_finding(dir_));
}

TEST_F(project_dir, committed_secrets_are_reported_per_file_without_their_values)
{
    std::ofstream(dir_ / "app.yml") << "db:\n  DB_PASSWORD: hunter2\n";
    std::ofstream(dir_ / "clean.txt") << "nothing here\n";
    std::ofstream(dir_ / "image.bin", std::ios::binary) << std::string("PASSWORD=x\0\1", 12);
    const auto found = committed_secret_findings(dir_, {"app.yml", "clean.txt", "image.bin", "deleted.txt"});
    ASSERT_EQ(found.size(), 1u);
    EXPECT_EQ(found[0].what, "a secret in tracked file app.yml: line 2 (DB_PASSWORD)");
    EXPECT_EQ(found[0].what.find("hunter2"), std::string::npos);
}

keel::db::database_settings database(const std::string& url, const std::string& sslmode = "")
{
    keel::db::database_settings s;
    s.database_url = keel::db::url::parse(url);
    s.sslmode = sslmode;
    return s;
}

TEST(tls_finding, a_remote_server_needs_sslmode_require_or_verify)
{
    EXPECT_TRUE(tls_finding(database("postgresql://app:pw@db.example.com/app")));
    EXPECT_TRUE(tls_finding(database("postgresql://app@10.0.0.5/app?sslmode=prefer")));
    EXPECT_NE(tls_finding(database("postgresql://app@db.example.com/app?sslmode=disable"))->what.find("sslmode disable"),
              std::string::npos);
    EXPECT_FALSE(tls_finding(database("postgresql://app@db.example.com/app?sslmode=verify-full")));
    EXPECT_FALSE(tls_finding(database("postgresql://app@db.example.com/app?sslmode=require")));
    EXPECT_FALSE(tls_finding(database("postgresql://app@db.example.com/app", "verify-ca")));  // SSLMODE
}

TEST(tls_finding, a_local_server_or_sqlite_needs_none)
{
    EXPECT_FALSE(tls_finding(database("postgresql://app@127.0.0.1:5432/app")));
    EXPECT_FALSE(tls_finding(database("postgresql://app@localhost/app")));
    EXPECT_FALSE(tls_finding(database("postgresql://app@[::1]/app")));
    EXPECT_FALSE(tls_finding(database("sqlite:///./app.db")));
}

server_facts healthy_server()
{
    server_facts f;
    f.max_connections = 100;
    f.reserved_connections = 3;
    f.user = "app_user";
    return f;
}

TEST(server_findings, a_least_privilege_role_within_budget_has_none)
{
    EXPECT_TRUE(server_findings(healthy_server(), 14, 6).empty());  // 84 of 97
}

TEST(server_findings, connections_over_max_connections_are_an_error)
{
    const auto found = server_findings(healthy_server(), 14, 7);  // 98 of 97
    ASSERT_EQ(found.size(), 1u);
    EXPECT_EQ(found[0].level, severity::error);
    EXPECT_NE(found[0].what.find("7 instance(s) × 14 connections each = 98"), std::string::npos) << found[0].what;
    EXPECT_NE(found[0].fix.find("POOL_SIZE"), std::string::npos);
}

TEST(server_findings, a_superuser_is_an_error_and_a_schema_owner_a_warning)
{
    auto superuser = healthy_server();
    superuser.superuser = true;
    superuser.owned_schemas = {"public"};  // a superuser owns everything: one finding is enough
    auto found = server_findings(superuser, 1, 1);
    ASSERT_EQ(found.size(), 1u);
    EXPECT_EQ(found[0].level, severity::error);
    EXPECT_NE(found[0].what.find("a superuser"), std::string::npos);
    EXPECT_NE(found[0].fix.find("db roles --apply"), std::string::npos);
    auto owner = healthy_server();
    owner.owned_schemas = {"public"};
    found = server_findings(owner, 1, 1);
    ASSERT_EQ(found.size(), 1u);
    EXPECT_EQ(found[0].level, severity::warning);
    EXPECT_EQ(found[0].what, "the app connects as app_user, owner of schema public");
}

TEST(server_findings, each_unindexed_foreign_key_says_which_index_to_create)
{
    auto facts = healthy_server();
    facts.unindexed_foreign_keys = {{"orders", "orders_user_id_fkey", "user_id"}, {"lines", "lines_order_fkey", "order_id, shop_id"}};
    const auto found = server_findings(facts, 1, 1);
    ASSERT_EQ(found.size(), 2u);
    EXPECT_EQ(found[0].level, severity::warning);
    EXPECT_EQ(found[0].what, "foreign key orders_user_id_fkey on orders (user_id) has no index");
    EXPECT_EQ(found[1].fix, "CREATE INDEX CONCURRENTLY ON lines (order_id, shop_id)");
}

TEST(format_finding, prints_severity_what_why_and_fix)
{
    EXPECT_EQ(format_finding({severity::warning, "w", "y", "f"}), "warning: w\n  why: y\n  fix: f\n");
}

}  // namespace
