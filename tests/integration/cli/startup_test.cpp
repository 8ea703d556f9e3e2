// The built binaries as a user runs them: settings errors, start-up, signals.
#include <csignal>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <keel/testing/http_client.hpp>
#include <keel/testing/postgres.hpp>
#include <keel/testing/process.hpp>
#include "support/test_directory.hpp"

namespace {

namespace fs = std::filesystem;
using namespace keel::testing;

class startup : public ::testing::Test {
protected:
    void SetUp() override
    {
        dir_ = fresh_test_directory("keel-cli");
    }
    void TearDown() override
    {
        if (fs::exists(dir_ / "pg" / "data"))  // a dev cluster a failed test left running
            run({"/bin/bash", std::string(KEEL_SOURCE_DIR) + "/scripts/dev-postgres", "stop", "--dir", (dir_ / "pg").string()},
                {"PATH=/usr/bin:/bin:/usr/sbin:/sbin"}, dir_);
        fs::remove_all(dir_);
    }
    fs::path dir_;
};

TEST_F(startup, an_invalid_database_url_stops_start_up_without_showing_the_password)
{
    auto r = run({USERS_SERVICE_BIN}, {"DATABASE_URL=postgresql://app:hunter2@db:notaport/users"}, dir_);
    EXPECT_EQ(r.code, 2) << r.output;
    EXPECT_NE(r.output.find("DATABASE_URL"), std::string::npos) << r.output;
    EXPECT_EQ(r.output.find("hunter2"), std::string::npos) << r.output;
}

// Connection errors print the URL; a password given as a query parameter must not come with it.
TEST_F(startup, a_database_that_cannot_open_is_reported_without_secret_parameters)
{
    auto pg = run({USERS_SERVICE_BIN}, {"DATABASE_URL=postgresql://keel@127.0.0.1:1/nowhere?password=hunter2", "CONNECT_TIMEOUT=2s",
                                        "ENVIRONMENT=development"},
                  dir_);
    EXPECT_EQ(pg.code, 1) << pg.output;
    EXPECT_NE(pg.output.find("postgresql://keel@127.0.0.1:1/nowhere?password=***"), std::string::npos) << pg.output;
    EXPECT_EQ(pg.output.find("hunter2"), std::string::npos) << pg.output;
    auto sqlite = run({USERS_SERVICE_BIN}, {"DATABASE_URL=sqlite:////nonexistent-dir/x.db?key=hunter2", "ENVIRONMENT=development"}, dir_);
    EXPECT_EQ(sqlite.code, 1) << sqlite.output;
    EXPECT_NE(sqlite.output.find("sqlite:////nonexistent-dir/x.db?key=***"), std::string::npos) << sqlite.output;
    EXPECT_EQ(sqlite.output.find("hunter2"), std::string::npos) << sqlite.output;
}

TEST_F(startup, invalid_settings_from_dotenv_are_all_reported)
{
    std::ofstream(dir_ / ".env") << "PORT=eighty\nPASSWORD_HASH_COST=cheap\nLOG_LEVEL=loud\n";
    auto r = run({USERS_SERVICE_BIN}, {}, dir_);
    EXPECT_EQ(r.code, 2) << r.output;
    EXPECT_NE(r.output.find("PORT"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("PASSWORD_HASH_COST"), std::string::npos) << r.output;
    // LOG_LEVEL used to be checked only once the others were fixed.
    EXPECT_NE(r.output.find("LOG_LEVEL"), std::string::npos) << r.output;
}

TEST_F(startup, numbers_out_of_range_name_the_range)
{
    auto r = run({USERS_SERVICE_BIN}, {"PORT=70000", "POOL_SIZE=-1", "THREADS=100000", "READ_TIMEOUT=0"}, dir_);
    EXPECT_EQ(r.code, 2) << r.output;
    EXPECT_NE(r.output.find("PORT: expected an integer from 0 to 65535"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("POOL_SIZE: expected an integer of at least 1"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("THREADS: expected an integer from 0 to 1024"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("READ_TIMEOUT: expected a duration of at least 1ms"), std::string::npos) << r.output;
    auto flag = run({USERS_SERVICE_BIN, "--port", "70000"}, {}, dir_);
    EXPECT_NE(flag.code, 0) << flag.output;
    EXPECT_NE(flag.output.find("65535"), std::string::npos) << flag.output;
}

TEST_F(startup, a_missing_env_file_is_an_error_naming_it)
{
    for (const std::vector<std::string>& argv : {std::vector<std::string>{USERS_SERVICE_BIN, "--env-file", "prod.env"},
                                                  std::vector<std::string>{USERS_SERVICE_BIN, "serve", "--env-file", "prod.env"},
                                                  std::vector<std::string>{KEEL_BIN, "check", "--env-file", "prod.env"}}) {
        auto r = run(argv, {}, dir_);
        EXPECT_EQ(r.code, 2) << r.output;
        EXPECT_NE(r.output.find("settings file prod.env does not exist"), std::string::npos) << r.output;
    }
    // Given and present, it is read; the default .env may be absent.
    std::ofstream(dir_ / "prod.env") << "PORT=9100\n";
    auto given = run({KEEL_BIN, "check", "--env-file", "prod.env"}, {}, dir_);
    EXPECT_EQ(given.code, 0) << given.output;
    EXPECT_NE(given.output.find("PORT=9100"), std::string::npos) << given.output;
    EXPECT_EQ(run({KEEL_BIN, "check"}, {}, dir_).code, 0);
}

TEST_F(startup, a_bad_log_level_is_a_settings_error)
{
    auto r = run({USERS_SERVICE_BIN}, {"LOG_LEVEL=loud"}, dir_);
    EXPECT_EQ(r.code, 2) << r.output;
    EXPECT_NE(r.output.find("LOG_LEVEL"), std::string::npos) << r.output;
}

TEST_F(startup, an_unknown_option_is_a_usage_error)
{
    auto r = run({USERS_SERVICE_BIN, "--frobnicate"}, {}, dir_);
    EXPECT_NE(r.code, 0);
    EXPECT_NE(r.output.find("frobnicate"), std::string::npos) << r.output;
}

TEST_F(startup, serves_on_the_default_sqlite_file_and_stops_cleanly_on_sigterm)
{
    auto p = spawn({USERS_SERVICE_BIN, "serve", "--port", "0"}, {"MIGRATE_ON_START=true", "MIGRATIONS_DIR=" USERS_MIGRATIONS_DIR, "PASSWORD_HASH_COST=minimum", "ENVIRONMENT=development"}, dir_);
    std::string output;
    const auto port = read_until_serving(p, output);
    ASSERT_NE(port, 0) << output;
    auto created = keel::testing::post_json(port, "/users", R"({"username":"first","password":"12345678"})");
    EXPECT_EQ(created.status, 201) << created.body;
    EXPECT_TRUE(fs::exists(dir_ / "users.db"));
    auto token = keel::testing::send(port, {"POST", "/token", "username=first&password=12345678",
                                            {{"Content-Type", "application/x-www-form-urlencoded"}}});
    ASSERT_EQ(token.status, 200) << token.body;
    const std::string access_token(token.json().at("access_token").as_string());
    EXPECT_EQ(keel::testing::send(port, {"GET", "/users/me", "", {{"Authorization", "Bearer " + access_token}}}).status, 200);
    EXPECT_EQ(keel::testing::send(port, {"GET", "/users/me", "", {{"Authorization", "Bearer " + access_token + "x"}}}).status,
              401);
    ::kill(p.pid, SIGTERM);
    output += read_all(p.output);
    EXPECT_EQ(wait_exit(p.pid), 0) << output;
    EXPECT_NE(output.find("POST /users 201"), std::string::npos) << output;
    EXPECT_NE(output.find("tokens will not survive a restart"), std::string::npos) << output;  // development mode says so
    EXPECT_EQ(output.find("12345678"), std::string::npos) << "a password reached the log";
    EXPECT_EQ(output.find(access_token.substr(access_token.rfind('.'))), std::string::npos) << "a token reached the log";
}

// The README's path to PostgreSQL without Docker: scripts/dev-postgres, then the service on it.
TEST_F(startup, the_users_service_runs_on_a_dev_postgres)
{
    fs::permissions(dir_, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                              fs::perms::others_read | fs::perms::others_exec);  // the postgres user must enter it
    const std::string script = std::string(KEEL_SOURCE_DIR) + "/scripts/dev-postgres";
    const std::string cluster = (dir_ / "pg").string();
    const auto port = std::to_string(keel::testing::free_port());
    auto started = run({"/bin/bash", script, "start", "--dir", cluster, "--port", port}, {"PATH=/usr/bin:/bin:/usr/sbin:/sbin"}, dir_);
    ASSERT_EQ(started.code, 0) << started.output;
    std::smatch m;
    ASSERT_TRUE(std::regex_search(started.output, m, std::regex("DATABASE_URL=(postgresql://keel:[^@]+@127\\.0\\.0\\.1:[0-9]+/app)")))
        << started.output;
    const std::string url = m[1];
    const std::vector<std::string> path = {"PATH=/usr/bin:/bin:/usr/sbin:/sbin"};
    auto other_port = run({"/bin/bash", script, "start", "--dir", cluster, "--port", std::to_string(std::stoi(port) + 1)}, path, dir_);
    EXPECT_EQ(other_port.code, 2) << other_port.output;
    EXPECT_NE(other_port.output.find("was made for port " + port), std::string::npos) << other_port.output;
    auto help = run({"/bin/bash", script, "--help"}, path, dir_);
    EXPECT_EQ(help.code, 0) << help.output;
    EXPECT_NE(help.output.find("dev-postgres [start|stop|status|url] [--dir DIR] [--port PORT]"), std::string::npos) << help.output;
    auto in_project = run({"/bin/bash", script, "url"}, path, dir_);  // the default cluster is the current directory's
    EXPECT_EQ(in_project.code, 1) << in_project.output;
    EXPECT_NE(in_project.output.find("no cluster in " + (dir_ / ".dev/postgres").string()), std::string::npos) << in_project.output;
    std::ofstream(dir_ / "key") << std::string(40, 'k') << "\n";  // as a Docker secret is mounted

    auto p = spawn({USERS_SERVICE_BIN, "--port", "0"}, {"MIGRATE_ON_START=true", "MIGRATIONS_DIR=" USERS_MIGRATIONS_DIR, "DATABASE_URL=" + url, "PASSWORD_HASH_COST=minimum", "SECRET_KEY_FILE=key"},
                   dir_);
    std::string output;
    const auto service_port = read_until_serving(p, output);
    ASSERT_NE(service_port, 0) << output;
    EXPECT_EQ(keel::testing::post_json(service_port, "/users", R"({"username":"pg_user","password":"12345678"})").status, 201);
    EXPECT_EQ(keel::testing::get(service_port, "/users").json().as_array().size(), 1u);
    ::kill(p.pid, SIGTERM);
    output += read_all(p.output);
    EXPECT_EQ(wait_exit(p.pid), 0) << output;
    EXPECT_EQ(output.find(url.substr(0, url.find('@'))), std::string::npos) << "the password reached the log";
    EXPECT_EQ(run({"/bin/bash", script, "stop", "--dir", cluster}, {"PATH=/usr/bin:/bin:/usr/sbin:/sbin"}, dir_).code, 0);
}

// Tokens signed with a key anyone could guess are worse than no service: production needs SECRET_KEY.
TEST_F(startup, production_without_a_secret_key_does_not_start)
{
    auto r = run({USERS_SERVICE_BIN}, {}, dir_);
    EXPECT_EQ(r.code, 2) << r.output;
    EXPECT_NE(r.output.find("SECRET_KEY: required in production"), std::string::npos) << r.output;
    auto both = run({USERS_SERVICE_BIN}, {"SECRET_KEY=" + std::string(32, 's'), "SECRET_KEY_FILE=key"}, dir_);
    EXPECT_EQ(both.code, 2) << both.output;
    EXPECT_NE(both.output.find("SECRET_KEY and SECRET_KEY_FILE are both set"), std::string::npos) << both.output;
    auto unreadable = run({USERS_SERVICE_BIN}, {"SECRET_KEY_FILE=/nonexistent/key"}, dir_);
    EXPECT_EQ(unreadable.code, 2) << unreadable.output;
    EXPECT_NE(unreadable.output.find("SECRET_KEY_FILE: cannot read /nonexistent/key"), std::string::npos) << unreadable.output;
    auto short_key = run({USERS_SERVICE_BIN}, {"SECRET_KEY=hunter2"}, dir_);
    EXPECT_EQ(short_key.code, 2) << short_key.output;
    EXPECT_EQ(short_key.output.find("hunter2"), std::string::npos) << "the key reached the output";
}

TEST_F(startup, keel_check_prints_settings_with_the_password_redacted)
{
    auto ok = run({KEEL_BIN, "check"}, {"DATABASE_URL=postgresql://app:hunter2@db/users", "PORT=9000"}, dir_);
    EXPECT_EQ(ok.code, 0) << ok.output;
    EXPECT_NE(ok.output.find("DATABASE_URL=postgresql://app:***@db/users"), std::string::npos) << ok.output;
    EXPECT_NE(ok.output.find("PORT=9000"), std::string::npos);
    EXPECT_EQ(ok.output.find("hunter2"), std::string::npos);
    auto in_query = run({KEEL_BIN, "check"}, {"DATABASE_URL=postgresql://app@db/users?sslmode=require&password=hunter2"}, dir_);
    EXPECT_EQ(in_query.code, 0) << in_query.output;
    EXPECT_NE(in_query.output.find("DATABASE_URL=postgresql://app@db/users?sslmode=require&password=***"), std::string::npos)
        << in_query.output;
    EXPECT_EQ(in_query.output.find("hunter2"), std::string::npos);
    auto bad = run({KEEL_BIN, "check"}, {"DATABASE_URL=oracle://x"}, dir_);
    EXPECT_EQ(bad.code, 2) << bad.output;
    auto connect = run({KEEL_BIN, "check", "--connect"}, {"DATABASE_URL=sqlite:///./check.db"}, dir_);
    EXPECT_EQ(connect.code, 0) << connect.output;
    EXPECT_NE(connect.output.find("database: reachable"), std::string::npos);
}

// An application's own command line knows it: its version, every setting with its default in
// --help, and `check`, which validates and prints them all (its own, the commands') redacted.
TEST_F(startup, an_application_tells_its_version_its_settings_and_checks_them)
{
    auto version = run({USERS_SERVICE_BIN, "--version"}, {}, dir_);
    EXPECT_EQ(version.code, 0) << version.output;
    EXPECT_NE(version.output.find("users-service 0.1.0 (keel 0.1.0)"), std::string::npos) << version.output;

    auto help = run({USERS_SERVICE_BIN, "--help"}, {}, dir_);
    EXPECT_EQ(help.code, 0) << help.output;
    for (const char* line : {"\n  DATABASE_URL=sqlite:///./users.db\n", "\n  SECRET_KEY=\n", "\n  ACCESS_TOKEN_LIFETIME=30m\n",
                             "\n  PASSWORD_HASH_COST=interactive\n", "\n  STATEMENT_TIMEOUT=0\n", "\n  MIGRATE_DDL_LOCK_RETRIES=5\n",
                             "\n  DB_APP_ROLE=keel_app\n", "\n  INSTANCES=1\n"})
        EXPECT_NE(help.output.find(line), std::string::npos) << line << " in:\n" << help.output;

    const std::vector<std::string> secrets = {"DATABASE_URL=postgresql://app:hunter2@db/users", "SECRET_KEY=k3y-k3y-k3y-k3y-k3y-k3y-k3y-k3y-k3y-k3y",
                                              "RATE_LIMIT_STORAGE=redis://:hunter3@cache:6379", "DB_APP_PASSWORD=hunter4",
                                              "ENVIRONMENT=development", "MIGRATE_DDL_LOCK_TIMEOUT=500ms", "PORT=9000"};
    auto check = run({USERS_SERVICE_BIN, "check"}, secrets, dir_);
    EXPECT_EQ(check.code, 0) << check.output;
    for (const char* line : {"DATABASE_URL=postgresql://app:***@db/users\n", "SECRET_KEY=***\n", "RATE_LIMIT_STORAGE=redis://***@cache:6379\n",
                             "DB_APP_PASSWORD=***\n", "ENVIRONMENT=development\n", "MIGRATE_DDL_LOCK_TIMEOUT=500ms\n", "PORT=9000\n"})
        EXPECT_NE(check.output.find(line), std::string::npos) << line << " in:\n" << check.output;
    for (const char* secret : {"hunter2", "hunter3", "hunter4", "k3y"})
        EXPECT_EQ(check.output.find(secret), std::string::npos) << secret << " reached the output";

    auto bad = run({USERS_SERVICE_BIN, "check"}, {"MIGRATE_DDL_LOCK_RETRIES=-1", "INSTANCES=0", "DB_OWNER_PASSWORD=hunter5"}, dir_);
    EXPECT_EQ(bad.code, 2) << bad.output;
    EXPECT_NE(bad.output.find("MIGRATE_DDL_LOCK_RETRIES: expected an integer of at least 0"), std::string::npos) << bad.output;
    EXPECT_NE(bad.output.find("INSTANCES: expected an integer of at least 1"), std::string::npos) << bad.output;
    EXPECT_NE(bad.output.find("SECRET_KEY: required in production"), std::string::npos) << bad.output;  // with the rest
    EXPECT_EQ(bad.output.find("hunter5"), std::string::npos);

    auto connect = run({USERS_SERVICE_BIN, "check", "--connect"}, {"DATABASE_URL=sqlite:///./check.db", "ENVIRONMENT=development"}, dir_);
    EXPECT_EQ(connect.code, 0) << connect.output;
    EXPECT_NE(connect.output.find("database: reachable"), std::string::npos) << connect.output;
    auto unreachable = run({USERS_SERVICE_BIN, "check", "--connect"},
                           {"DATABASE_URL=postgresql://keel:hunter6@127.0.0.1:1/nowhere", "CONNECT_TIMEOUT=2s", "ENVIRONMENT=development"}, dir_);
    EXPECT_EQ(unreachable.code, 1) << unreachable.output;
    EXPECT_EQ(unreachable.output.find("hunter6"), std::string::npos) << unreachable.output;
}

}  // namespace
