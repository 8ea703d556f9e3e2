// `db roles` and `doctor` as users run them: through the keel tool and the users service's CLI.
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

#include <gtest/gtest.h>

#include <keel/db/pool.hpp>
#include <keel/testing/http_client.hpp>
#include <keel/testing/postgres.hpp>
#include <keel/testing/process.hpp>

#include "service.hpp"
#include "support/test_directory.hpp"

namespace {

namespace fs = std::filesystem;
using namespace keel::testing;

const std::string path_variable = "PATH=/usr/bin:/bin";  // doctor runs git

class commands : public ::testing::Test {
protected:
    void SetUp() override
    {
        dir_ = fresh_test_directory("keel-commands");
    }
    void TearDown() override { fs::remove_all(dir_); }
    void write(const std::string& file, const std::string& text, fs::perms mode = fs::perms::owner_read | fs::perms::owner_write)
    {
        std::ofstream(dir_ / file) << text;
        fs::permissions(dir_ / file, mode);
    }
    void git(const std::vector<std::string>& args)
    {
        std::vector<std::string> argv{"/usr/bin/git", "-C", dir_.string()};
        argv.insert(argv.end(), args.begin(), args.end());
        auto r = run(argv, {path_variable}, dir_);
        ASSERT_EQ(r.code, 0) << r.output;
    }
    fs::path dir_;
};

std::size_t count(const std::string& text, const std::string& what)
{
    std::size_t n = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1))
        ++n;
    return n;
}

TEST_F(commands, doctor_reports_each_problem_of_a_bad_project_with_its_fix)
{
    git({"init", "-q"});
    // hostaddr: libpq connects to 127.0.0.1:1 (refused at once) while the URL names a remote host.
    write(".env", "DATABASE_URL=postgresql://app:hunter2@db.example.com:1/app?hostaddr=127.0.0.1\nSECRET_KEY=k3y\n",
          fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read | fs::perms::others_read);
    write("deploy.yml", "env:\n  DB_PASSWORD: hunter3\n");
    git({"add", ".env", "deploy.yml"});
    auto r = run({KEEL_BIN, "doctor", "--dir", dir_.string()}, {path_variable, "CONNECT_TIMEOUT=5s"}, fs::temp_directory_path());
    EXPECT_EQ(r.code, 1) << r.output;
    EXPECT_NE(r.output.find("error: .env has mode 644"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("error: .env is tracked by git"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("error: a secret in tracked file .env: line 1 (a URL with a password), line 2 (SECRET_KEY)"),
              std::string::npos) << r.output;
    EXPECT_NE(r.output.find("error: a secret in tracked file deploy.yml: line 2 (DB_PASSWORD)"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("error: DATABASE_URL reaches db.example.com with sslmode prefer"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("error: cannot check the database: "), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("skipped: pending migrations"), std::string::npos) << r.output;
    EXPECT_EQ(count(r.output, "\n  fix: "), 6u) << r.output;  // every finding says how to fix it
    EXPECT_EQ(count(r.output, "\n  why: "), 6u) << r.output;
    EXPECT_EQ(r.output.find("hunter"), std::string::npos) << "a secret was printed";
    EXPECT_EQ(r.output.find("k3y"), std::string::npos) << "a secret was printed";
}

TEST_F(commands, doctor_finds_nothing_in_a_clean_project)
{
    git({"init", "-q"});
    write(".gitignore", ".env\n*.db\n");
    write(".env", "DATABASE_URL=sqlite:///./app.db\n");
    write("README.md", "Set DATABASE_URL=postgresql://app:${DB_PASSWORD}@db/app in .env\n");
    git({"add", ".gitignore", "README.md"});
    for (const auto* binary : {KEEL_BIN, USERS_SERVICE_BIN}) {
        auto r = run({binary, "doctor", "--dir", dir_.string()}, {path_variable}, dir_);
        EXPECT_EQ(r.code, 0) << r.output;
        EXPECT_NE(r.output.find("0 finding(s)"), std::string::npos) << r.output;
    }
    EXPECT_FALSE(fs::exists(dir_ / "app.db")) << "doctor created the database";
}

TEST_F(commands, doctor_refuses_a_missing_directory_and_a_bad_instance_count)
{
    auto missing = run({KEEL_BIN, "doctor", "--dir", (dir_ / "nowhere").string()}, {path_variable}, dir_);
    EXPECT_EQ(missing.code, 2) << missing.output;
    EXPECT_NE(missing.output.find("nowhere is not a directory"), std::string::npos) << missing.output;
    auto zero = run({KEEL_BIN, "doctor"}, {path_variable, "INSTANCES=0"}, dir_);
    EXPECT_EQ(zero.code, 2) << zero.output;
    EXPECT_NE(zero.output.find("INSTANCES: expected an integer of at least 1"), std::string::npos) << zero.output;
}

TEST_F(commands, db_roles_on_sqlite_says_sqlite_has_no_roles)
{
    auto r = run({USERS_SERVICE_BIN, "db", "roles"}, {}, dir_);
    EXPECT_EQ(r.code, 2) << r.output;
    EXPECT_NE(r.output.find("SQLite has no roles"), std::string::npos) << r.output;
}

TEST_F(commands, db_roles_prints_the_plan_with_passwords_hidden_unless_asked)
{
    write("app-password", "hunter2\n");
    const std::vector<std::string> env{"DATABASE_URL=postgresql://admin:adminpw@db.example.com/shop",
                                       "DB_APP_PASSWORD_FILE=" + (dir_ / "app-password").string()};
    auto plan = run({KEEL_BIN, "db", "roles", "--app-role", "shop_app"}, env, dir_);
    EXPECT_EQ(plan.code, 0) << plan.output;
    EXPECT_NE(plan.output.find("ALTER ROLE \"shop_app\" WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION "
                               "NOBYPASSRLS PASSWORD '***';"),
              std::string::npos) << plan.output;
    EXPECT_NE(plan.output.find("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA \"public\" TO \"shop_app\";"),
              std::string::npos) << plan.output;
    EXPECT_NE(plan.output.find("DB_OWNER_PASSWORD (or DB_OWNER_PASSWORD_FILE) is not set"), std::string::npos) << plan.output;
    EXPECT_EQ(plan.output.find("hunter2"), std::string::npos) << plan.output;
    EXPECT_EQ(plan.output.find("adminpw"), std::string::npos) << plan.output;
    auto shown = run({KEEL_BIN, "db", "roles", "--show-passwords"}, env, dir_);
    EXPECT_NE(shown.output.find("PASSWORD 'hunter2';"), std::string::npos) << shown.output;
    auto reserved = run({KEEL_BIN, "db", "roles", "--owner-role", "pg_owner"}, env, dir_);
    EXPECT_EQ(reserved.code, 2) << reserved.output;
    EXPECT_NE(reserved.output.find("role name 'pg_owner' is reserved"), std::string::npos) << reserved.output;
}

// The whole path: roles applied with the keel tool (twice), the schema created by the owner, the
// users service run as the application role.
TEST_F(commands, the_users_service_runs_as_the_role_db_roles_apply_created)
{
    auto& server = postgres_server::instance();
    const std::string admin_url = server.create_database();
    const std::string database = admin_url.substr(admin_url.rfind('/') + 1);
    const std::vector<std::string> env{"DATABASE_URL=" + admin_url, "DB_OWNER_ROLE=shop_owner", "DB_APP_ROLE=shop_app"};
    for (int run_number = 0; run_number < 2; ++run_number) {
        auto applied = run({KEEL_BIN, "db", "roles", "--apply"}, env, dir_);
        ASSERT_EQ(applied.code, 0) << applied.output;
        EXPECT_NE(applied.output.find("-- applied"), std::string::npos) << applied.output;
    }
    const auto as = [&](const std::string& role) {
        return "postgresql://" + role + "@127.0.0.1:" + std::to_string(server.port()) + "/" + database;
    };
    keel::db::database_settings owner;
    owner.database_url = keel::db::url::parse(as("shop_owner"));
    users::upgrade_schema(keel::db::pool::open(owner, 1));

    auto service = spawn({USERS_SERVICE_BIN, "--port", "0"}, {"DATABASE_URL=" + as("shop_app"), "PASSWORD_HASH_COST=minimum", "ENVIRONMENT=development"}, dir_);
    std::string output;
    const auto port = read_until_serving(service, output);
    ASSERT_NE(port, 0) << output;
    auto created = post_json(port, "/users", R"({"username":"erin","password":"12345678"})");
    EXPECT_EQ(created.status, 201) << created.body;
    EXPECT_EQ(get(port, "/users/" + std::to_string(created.json().at("id").as_int64())).status, 200);
    ::kill(service.pid, SIGTERM);
    output += read_all(service.output);
    EXPECT_EQ(wait_exit(service.pid), 0) << output;

    auto as_app = run({USERS_SERVICE_BIN, "doctor", "--dir", dir_.string()}, {path_variable, "DATABASE_URL=" + as("shop_app")}, dir_);
    EXPECT_EQ(as_app.code, 0) << as_app.output;
    EXPECT_EQ(as_app.output.find("superuser"), std::string::npos) << as_app.output;
    auto as_admin = run({KEEL_BIN, "doctor", "--dir", dir_.string()}, {path_variable, "DATABASE_URL=" + admin_url}, dir_);
    EXPECT_EQ(as_admin.code, 1) << as_admin.output;
    EXPECT_NE(as_admin.output.find("error: the app connects as keel, a superuser"), std::string::npos) << as_admin.output;
}

}  // namespace
