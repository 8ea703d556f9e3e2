#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include <keel/cli/service.hpp>
#include <keel/core/settings.hpp>
#include <keel/db/pool.hpp>
#include <keel/http/app.hpp>

namespace {

using keel::parse_dotenv;

TEST(dotenv, plain_values_comments_and_blank_lines)
{
    auto v = parse_dotenv("# a comment\n\nHOST=0.0.0.0\nPORT = 9000   # trailing comment\nEMPTY=\n");
    EXPECT_EQ(v.at("HOST"), "0.0.0.0");
    EXPECT_EQ(v.at("PORT"), "9000");
    EXPECT_EQ(v.at("EMPTY"), "");
}

TEST(dotenv, hash_inside_a_value_is_kept_unless_after_space)
{
    auto v = parse_dotenv("A=abc#def\nB=abc #def\n");
    EXPECT_EQ(v.at("A"), "abc#def");
    EXPECT_EQ(v.at("B"), "abc");
}

TEST(dotenv, single_quotes_are_literal)
{
    auto v = parse_dotenv("A='x \\n ${B} # y'\n");
    EXPECT_EQ(v.at("A"), "x \\n ${B} # y");
}

TEST(dotenv, double_quotes_take_escapes_and_span_lines)
{
    auto v = parse_dotenv("A=\"line1\\nline2 \\\"q\\\"\"\nB=\"multi\nline\" # c\nC=after\n");
    EXPECT_EQ(v.at("A"), "line1\nline2 \"q\"");
    EXPECT_EQ(v.at("B"), "multi\nline");
    EXPECT_EQ(v.at("C"), "after");
}

TEST(dotenv, export_prefix_and_interpolation)
{
    auto v = parse_dotenv("export USER_NAME=app\nURL=postgresql://${USER_NAME}@db/${DB_NAME:-main}\n");
    EXPECT_EQ(v.at("USER_NAME"), "app");
    EXPECT_EQ(v.at("URL"), "postgresql://app@db/main");
}

TEST(dotenv, bare_key_sets_nothing)
{
    auto v = parse_dotenv("JUST_A_KEY\nA=1\n");
    EXPECT_FALSE(v.contains("JUST_A_KEY"));
    EXPECT_EQ(v.at("A"), "1");
}

TEST(dotenv, malformed_lines_name_the_line)
{
    try {
        parse_dotenv("A=1\nB=\"unterminated\n");
        FAIL() << "expected settings_error";
    } catch (const keel::settings_error& e) {
        EXPECT_NE(std::string(e.what()).find("line 2"), std::string::npos) << e.what();
    }
    EXPECT_THROW(parse_dotenv("=value\n"), keel::settings_error);
    EXPECT_THROW(parse_dotenv("A='x' junk\n"), keel::settings_error);
}

struct service_settings : keel::http::server_settings, keel::db::database_settings {
    bool debug = false;
    keel::secret<> api_key;
};
BOOST_DESCRIBE_STRUCT(service_settings, (keel::http::server_settings, keel::db::database_settings), (debug, api_key))

TEST(settings, defaults_when_nothing_is_set)
{
    auto s = keel::load_settings<service_settings>(keel::environment(std::map<std::string, std::string>{}));
    EXPECT_EQ(s.host, "127.0.0.1");
    EXPECT_EQ(s.port, 8000);
    EXPECT_EQ(s.database_url.path(), "./keel.db");
    EXPECT_FALSE(s.debug);
}

TEST(settings, typed_values_from_variables)
{
    auto s = keel::load_settings<service_settings>(keel::environment(std::map<std::string, std::string>{
        {"HOST", "0.0.0.0"}, {"PORT", "9001"}, {"DEBUG", "yes"}, {"READ_TIMEOUT", "250ms"},
        {"POOL_TIMEOUT", "2s"}, {"API_KEY", "k3y"}, {"DATABASE_URL", "sqlite:////var/lib/app.db"}}));
    EXPECT_EQ(s.host, "0.0.0.0");
    EXPECT_EQ(s.port, 9001);
    EXPECT_TRUE(s.debug);
    EXPECT_EQ(s.read_timeout, std::chrono::milliseconds(250));
    EXPECT_EQ(s.pool_timeout, std::chrono::milliseconds(2000));
    EXPECT_EQ(s.api_key.reveal(), "k3y");
    EXPECT_EQ(s.database_url.path(), "/var/lib/app.db");
}

TEST(settings, every_bad_value_is_reported_without_echoing_it)
{
    try {
        keel::load_settings<service_settings>(keel::environment(std::map<std::string, std::string>{
            {"PORT", "eighty"}, {"DEBUG", "maybe"}, {"DATABASE_URL", "postgresql://u:hunter2@db:notaport/x"}}));
        FAIL() << "expected settings_error";
    } catch (const keel::settings_error& e) {
        ASSERT_EQ(e.problems().size(), 3u);
        const std::string message = e.what();
        EXPECT_NE(message.find("PORT"), std::string::npos);
        EXPECT_NE(message.find("DEBUG"), std::string::npos);
        EXPECT_NE(message.find("DATABASE_URL"), std::string::npos);
        EXPECT_EQ(message.find("hunter2"), std::string::npos) << message;
        EXPECT_EQ(message.find("eighty"), std::string::npos) << message;
    }
}

TEST(settings, choices_accept_only_their_words)
{
    auto s = keel::load_settings<service_settings>(
        keel::environment(std::map<std::string, std::string>{{"POOL_BUDGET_CHECK", "warn"}}));
    EXPECT_EQ(s.pool_budget_check, keel::db::budget_check::warn);
    EXPECT_THROW(keel::load_settings<service_settings>(
                     keel::environment(std::map<std::string, std::string>{{"POOL_BUDGET_CHECK", "strict"}})),
                 keel::settings_error);
}

// What `check` and `--help` print: each value in the syntax it is read in, so that printing and
// reading back gives the same settings; secrets and URL passwords as ***.
TEST(settings, values_print_as_they_are_read_and_secrets_never)
{
    const std::map<std::string, std::string> variables = {
        {"PORT", "9001"}, {"DEBUG", "true"}, {"READ_TIMEOUT", "250ms"}, {"KEEP_ALIVE_TIMEOUT", "2m"}, {"STATEMENT_TIMEOUT", "0"},
        {"POOL_RECYCLE", "1h"}, {"API_KEY", "hunter2"}, {"POOL_BUDGET_CHECK", "warn"},
        {"DATABASE_URL", "postgresql://app:hunter3@db/users?sslpassword=hunter4"}, {"APPLICATION_NAME", "redis://u:hunter5@x:1/0"}};
    const auto loaded = keel::load_settings<service_settings>(keel::environment(variables));
    std::map<std::string, std::string> shown;
    for (const auto& [variable, value] : keel::setting_values(loaded))
        shown[variable] = value;
    for (const char* same : {"PORT", "DEBUG", "READ_TIMEOUT", "KEEP_ALIVE_TIMEOUT", "STATEMENT_TIMEOUT", "POOL_RECYCLE", "POOL_BUDGET_CHECK"})
        EXPECT_EQ(shown.at(same), variables.at(same)) << same;
    EXPECT_EQ(shown.at("API_KEY"), "***");
    EXPECT_EQ(shown.at("DATABASE_URL"), "postgresql://app:***@db/users?sslpassword=***");
    EXPECT_EQ(shown.at("APPLICATION_NAME"), "redis://***@x:1/0");
    EXPECT_EQ(shown.at("HOST"), "127.0.0.1");  // a default
    EXPECT_EQ(shown.size(), keel::setting_values(service_settings{}).size());

    // Every value shown, read back, gives the same value (but secrets, which are not shown).
    std::map<std::string, std::string> shown_again = shown;
    shown_again.erase("API_KEY");
    shown_again.erase("DATABASE_URL");
    shown_again.erase("APPLICATION_NAME");
    const auto reread = keel::load_settings<service_settings>(keel::environment(shown_again));
    for (const auto& [variable, value] : keel::setting_values(reread)) {
        if (shown_again.contains(variable)) {
            EXPECT_EQ(value, shown.at(variable)) << variable;
        }
    }
    EXPECT_EQ(keel::setting_values(service_settings{}).at(0).variable, "HOST");  // bases first, in declaration order
}

// A plain string may hold any URL: all before its host's @, its secret-looking parameters and its fragment
// are hidden, also when the password has an unescaped @ or / in it.
TEST(settings, a_url_in_a_plain_string_shows_no_secret)
{
    EXPECT_EQ(keel::format_setting(std::string("memory")), "memory");
    EXPECT_EQ(keel::format_setting(std::string("redis://:hunter2@cache:6379/0")), "redis://***@cache:6379/0");
    EXPECT_EQ(keel::format_setting(std::string("redis://:p@ss@cache:6379")), "redis://***@cache:6379");
    EXPECT_EQ(keel::format_setting(std::string("redis://:p/ss@cache:6379")), "redis://***@cache:6379");
    EXPECT_EQ(keel::format_setting(std::string("https://ghp_token@github.com/x")), "https://***@github.com/x");
    EXPECT_EQ(keel::format_setting(std::string("https://hooks.example/x?channel=ops&token=hunter3")),
              "https://hooks.example/x?channel=ops&token=***");
    // Not a URL Boost.URL reads (a space): its parameters cannot be told apart, so none is shown.
    EXPECT_EQ(keel::format_setting(std::string("https://hooks.example/x y?token=hunter4&channel=ops")),
              "https://hooks.example/x y?***");
    EXPECT_EQ(keel::format_setting(std::string("https://app.example/x y#access_token=hunter6")), "https://app.example/x y#***");
    EXPECT_EQ(keel::format_setting(std::string("https://hooks.example/x?#top")), "https://hooks.example/x?#***");
    EXPECT_EQ(keel::format_setting(std::string("https://app.example/cb#access_token=hunter5")), "https://app.example/cb#***");
}

TEST(settings, a_named_choice_reads_and_prints_from_one_table)
{
    enum class color { red, green, blue };
    constexpr keel::setting_names<color, 3> names{{{"red", color::red}, {"green", color::green}, {"blue", color::blue}}};
    EXPECT_EQ(keel::parse_named_setting("green", names), color::green);
    EXPECT_EQ(keel::format_named_setting(color::blue, names), "blue");
    try {
        keel::parse_named_setting("purple", names);
        FAIL() << "expected invalid_argument";
    } catch (const std::invalid_argument& e) {
        EXPECT_STREQ(e.what(), "expected red, green or blue");
    }
}

// The problems load_service_settings reports for `variables` (none when they load).
std::vector<std::string> service_problems(std::map<std::string, std::string> variables)
{
    try {
        keel::cli::load_service_settings<service_settings>(keel::environment(std::move(variables)));
        return {};
    } catch (const keel::settings_error& e) {
        return e.problems();
    }
}

using problem_list = std::vector<std::string>;

TEST(settings, port_out_of_range_says_the_range)
{
    EXPECT_EQ(service_problems({{"PORT", "70000"}}), problem_list{"PORT: expected an integer from 0 to 65535"});
    EXPECT_EQ(service_problems({{"PORT", "-1"}}), problem_list{"PORT: expected an integer from 0 to 65535"});
}

TEST(settings, the_standard_rules_name_the_allowed_range)
{
    EXPECT_EQ(service_problems({{"POOL_SIZE", "0"}}), problem_list{"POOL_SIZE: expected an integer of at least 1"});
    // -1 does not even parse as a size; the rule still says what would.
    EXPECT_EQ(service_problems({{"POOL_SIZE", "-1"}}), problem_list{"POOL_SIZE: expected an integer of at least 1"});
    EXPECT_EQ(service_problems({{"THREADS", "100000"}}), problem_list{"THREADS: expected an integer from 0 to 1024"});
    EXPECT_EQ(service_problems({{"READ_TIMEOUT", "0"}}), problem_list{"READ_TIMEOUT: expected a duration of at least 1ms"});
    EXPECT_EQ(service_problems({{"REQUEST_TIMEOUT", "0"}}), problem_list{"REQUEST_TIMEOUT: expected a duration of at least 1ms"});
    EXPECT_EQ(service_problems({{"POOL_TIMEOUT", "soon"}}), problem_list{"POOL_TIMEOUT: expected a duration of at least 1ms"});
    EXPECT_EQ(service_problems({{"MAX_BODY_SIZE", "0"}}), problem_list{"MAX_BODY_SIZE: expected an integer of at least 1"});
    EXPECT_EQ(service_problems({{"KEEPALIVES_COUNT", "-3"}}), problem_list{"KEEPALIVES_COUNT: expected an integer of at least 0"});
}

TEST(settings, documented_zeros_and_the_defaults_pass_the_rules)
{
    EXPECT_EQ(service_problems({}), problem_list{});
    EXPECT_EQ(service_problems({{"THREADS", "0"}, {"STATEMENT_TIMEOUT", "0"}, {"POOL_RECYCLE", "0"}, {"PORT", "0"},
                                {"LOG_LEVEL", "warning"}}),
              problem_list{});
}

TEST(settings, a_bad_log_level_is_reported_with_the_other_problems)
{
    const auto problems = service_problems({{"LOG_LEVEL", "loud"}, {"PORT", "eighty"}, {"POOL_SIZE", "0"}});
    EXPECT_EQ(problems, (problem_list{"PORT: expected an integer from 0 to 65535",
                                      "LOG_LEVEL: expected one of trace, debug, info, warning, error, critical, off",
                                      "POOL_SIZE: expected an integer of at least 1"}));
}

struct job_settings {
    std::chrono::milliseconds job_interval{60'000};
    int retries = 3;
    std::string mode = "fast";
};
BOOST_DESCRIBE_STRUCT(job_settings, (), (job_interval, retries, mode))

TEST(setting_rules, bounds_are_declared_once_and_spelled_in_the_message)
{
    const auto rules = keel::setting_rules<job_settings>()
                           .between(&job_settings::job_interval, std::chrono::seconds(1), std::chrono::hours(1))
                           .between(&job_settings::retries, 0, 10)
                           .require(&job_settings::mode, [](const std::string& m) { return m == "fast" || m == "safe"; },
                                    "fast or safe");
    auto load = [&](std::map<std::string, std::string> variables) {
        return keel::load_settings<job_settings>(keel::environment(std::move(variables)), rules);
    };
    EXPECT_EQ(load({{"JOB_INTERVAL", "90s"}, {"RETRIES", "10"}, {"MODE", "safe"}}).job_interval, std::chrono::seconds(90));
    try {
        load({{"JOB_INTERVAL", "500ms"}, {"RETRIES", "11"}, {"MODE", "slow"}});
        FAIL() << "expected settings_error";
    } catch (const keel::settings_error& e) {
        EXPECT_EQ(e.problems(), (problem_list{"JOB_INTERVAL: expected a duration from 1s to 1h",
                                              "RETRIES: expected an integer from 0 to 10", "MODE: expected fast or safe"}));
    }
}

TEST(setting_rules, a_field_without_a_rule_keeps_the_parser_message)
{
    const auto rules = keel::setting_rules<job_settings>().between(&job_settings::retries, 0, 10);
    try {
        keel::load_settings<job_settings>(keel::environment(std::map<std::string, std::string>{{"JOB_INTERVAL", "often"}}),
                                          rules);
        FAIL() << "expected settings_error";
    } catch (const keel::settings_error& e) {
        ASSERT_EQ(e.problems().size(), 1u);
        EXPECT_EQ(e.problems()[0].rfind("JOB_INTERVAL: expected a duration such as", 0), 0u) << e.problems()[0];
    }
}

TEST(settings, environment_wins_over_dotenv_file)
{
    auto dir = std::filesystem::temp_directory_path() / ("keel-settings-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    {
        std::ofstream(dir / ".env") << "KEEL_TEST_A=from-file\nKEEL_TEST_B='from file'\n";
    }
    ::setenv("KEEL_TEST_A", "from-env", 1);
    keel::environment env(dir / ".env");
    EXPECT_EQ(env.get("KEEL_TEST_A"), "from-env");
    EXPECT_EQ(env.get("KEEL_TEST_B"), "from file");
    EXPECT_FALSE(env.get("KEEL_TEST_MISSING").has_value());
    ::unsetenv("KEEL_TEST_A");
    std::filesystem::remove_all(dir);
}

TEST(settings, a_missing_dotenv_file_is_fine)
{
    keel::environment env("/nonexistent/dir/.env");
    EXPECT_FALSE(env.get("KEEL_TEST_MISSING").has_value());
}

TEST(settings, a_missing_required_settings_file_is_an_error_naming_it)
{
    try {
        keel::environment env("/nonexistent/dir/prod.env", keel::dotenv_file::required);
        FAIL() << "expected settings_error";
    } catch (const keel::settings_error& e) {
        EXPECT_EQ(e.problems(), problem_list{"settings file /nonexistent/dir/prod.env does not exist"});
    }
}

// Docker and Kubernetes mount secrets as files: NAME_FILE names the file holding NAME's value.
class secret_files : public ::testing::Test {
protected:
    void SetUp() override
    {
        dir_ = std::filesystem::temp_directory_path() / ("keel-secret-files-" + std::to_string(::getpid()));
        std::filesystem::create_directories(dir_);
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }
    std::string file(const std::string& name, const std::string& content)
    {
        std::ofstream(dir_ / name, std::ios::binary) << content;
        return (dir_ / name).string();
    }
    std::filesystem::path dir_;
};

TEST_F(secret_files, a_value_comes_from_the_file_without_its_trailing_newline)
{
    const keel::environment env(std::map<std::string, std::string>{{"API_KEY_FILE", file("api_key", "s3cr3t value\n")},
                                                                   {"PORT_FILE", file("port", "9001\r\n\n")},
                                                                   {"NOTE_FILE", file("note", "")}});
    EXPECT_EQ(env.get("API_KEY"), "s3cr3t value");
    auto s = keel::load_settings<service_settings>(env);
    EXPECT_EQ(s.api_key.reveal(), "s3cr3t value");
    EXPECT_EQ(s.port, 9001);
    EXPECT_EQ(env.get("NOTE"), "");  // an empty file is an empty value
    EXPECT_EQ(keel::environment(std::map<std::string, std::string>{{"API_KEY_FILE", file("inner", "a\nb\n")}}).get("API_KEY"),
              "a\nb");  // only the newlines at the end go
}

TEST_F(secret_files, both_set_or_an_unreadable_file_is_an_error_naming_the_variable_not_the_value)
{
    const std::string path = file("api_key", "hunter2\n");
    try {
        keel::load_settings<service_settings>(keel::environment(std::map<std::string, std::string>{
            {"API_KEY", "hunter2"}, {"API_KEY_FILE", path}, {"POOL_SIZE_FILE", (dir_ / "missing").string()},
            {"DATABASE_URL_FILE", dir_.string()}, {"PORT", "eighty"}}));
        FAIL() << "expected settings_error";
    } catch (const keel::settings_error& e) {
        const std::string all = e.what();
        EXPECT_NE(all.find("API_KEY and API_KEY_FILE are both set: set one"), std::string::npos) << all;
        EXPECT_NE(all.find("POOL_SIZE_FILE: cannot read " + (dir_ / "missing").string() + ": No such file or directory"),
                  std::string::npos)
            << all;
        EXPECT_NE(all.find("DATABASE_URL_FILE: cannot read " + dir_.string() + ": it is a directory"), std::string::npos) << all;
        EXPECT_NE(all.find("PORT: expected"), std::string::npos) << all;  // reported with the others
        EXPECT_EQ(all.find("hunter2"), std::string::npos) << all;
    }
}

TEST_F(secret_files, a_value_read_from_a_file_is_checked_like_any_other)
{
    try {
        keel::cli::load_service_settings<service_settings>(
            keel::environment(std::map<std::string, std::string>{{"POOL_SIZE_FILE", file("size", "0\n")}}));
        FAIL() << "expected settings_error";
    } catch (const keel::settings_error& e) {
        EXPECT_EQ(e.problems(), problem_list{"POOL_SIZE: expected an integer of at least 1"});
    }
}

}  // namespace
