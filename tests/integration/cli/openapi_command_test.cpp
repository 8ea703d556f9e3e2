// `users-service openapi` as CI runs it: the document on stdout, with no database opened, no port
// bound and no secret needed; and the served binary answering GET /openapi.json.
#include <csignal>
#include <filesystem>

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include <keel/http/router.hpp>
#include <keel/openapi/document.hpp>
#include <keel/testing/http_client.hpp>
#include <keel/testing/process.hpp>

#include "service.hpp"
#include "support/test_directory.hpp"

namespace {

namespace fs = std::filesystem;
using namespace keel::testing;

class openapi_command : public ::testing::Test {
protected:
    test_directory directory_{"keel-openapi"};
    const fs::path& dir_ = directory_.path();
};

TEST_F(openapi_command, prints_the_document_without_a_database_a_port_or_a_secret)
{
    // Production without SECRET_KEY would not start, and this database could not be opened.
    auto r = run({USERS_SERVICE_BIN, "openapi"},
                 {"ENVIRONMENT=production", "DATABASE_URL=sqlite:///" + (dir_ / "missing" / "users.db").string()}, dir_);
    ASSERT_EQ(r.code, 0) << r.output;
    keel::http::router routes;
    users::add_routes(routes);
    EXPECT_EQ(r.output, keel::openapi::document_text(routes, users::settings{}, keel::openapi::layout::indented) + "\n");
    EXPECT_EQ(boost::json::parse(r.output), keel::openapi::document(routes, users::settings{}));
    EXPECT_FALSE(fs::exists(dir_ / "missing"));
    EXPECT_TRUE(fs::is_empty(dir_));
}

TEST_F(openapi_command, prints_even_when_serving_it_is_off_with_title_and_version_from_the_settings)
{
    auto r = run({USERS_SERVICE_BIN, "openapi"}, {"OPENAPI_URL=", "API_TITLE=Users", "API_VERSION=4.2.0"}, dir_);
    ASSERT_EQ(r.code, 0) << r.output;
    EXPECT_EQ(boost::json::parse(r.output).at("info"), boost::json::parse(R"({"title":"Users","version":"4.2.0"})"));
}

TEST_F(openapi_command, a_url_that_is_not_a_path_stops_start_up_with_exit_code_2)
{
    auto r = run({USERS_SERVICE_BIN, "openapi"}, {"OPENAPI_URL=openapi.json", "DOCS_URL=/docs/", "API_SERVERS=ftp://x"}, dir_);
    EXPECT_EQ(r.code, 2) << r.output;
    const std::string a_path = "expected a path such as /openapi.json: /-separated segments of letters, digits, -._~ (or empty: off)";
    EXPECT_NE(r.output.find("OPENAPI_URL: " + a_path), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("DOCS_URL: " + a_path), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("API_SERVERS: expected comma-separated http:// or https:// URLs"), std::string::npos) << r.output;
}

TEST_F(openapi_command, the_service_serves_the_document_unless_openapi_url_is_empty)
{
    for (const bool off : {false, true}) {
        std::vector<std::string> env{"ENVIRONMENT=development"};
        if (off)
            env.emplace_back("OPENAPI_URL=");
        auto p = spawn({USERS_SERVICE_BIN, "serve", "--port", "0"}, env, dir_);
        std::string output;
        const auto port = read_until_serving(p, output);
        ASSERT_NE(port, 0) << output;
        const auto r = get(port, "/openapi.json");
        EXPECT_EQ(r.status, off ? 404 : 200) << r.body;
        if (!off) {
            EXPECT_EQ(r.json().at("info").at("title"), "users-service");
        }
        ::kill(p.pid, SIGTERM);
        output += read_all(p.output);
        EXPECT_EQ(wait_exit(p.pid), 0) << output;
    }
}

}  // namespace
