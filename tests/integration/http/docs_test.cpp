// GET /docs and Swagger UI's files, served from the binary: types, caching, the page's policy.
// The browser drives the page in tests/browser/docs.mjs (docs_browser_test.cpp).
#include <filesystem>
#include <fstream>
#include <iterator>
#include <regex>
#include <stdexcept>
#include <string>

#include <gtest/gtest.h>

#include <keel/openapi/docs.hpp>
#include <keel/openapi/document.hpp>

#include <keel/testing/databases.hpp>
#include <keel/testing/http_client.hpp>
#include <keel/testing/app.hpp>

namespace {

using namespace keel::testing;
namespace openapi = keel::openapi;

std::string package_file(const std::string& name)
{
    std::ifstream in(std::filesystem::path(KEEL_SWAGGER_UI_DIR) / name, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}

// The URLs of the page's <script src>, <link href> attributes, in order.
std::vector<std::string> linked_urls(const std::string& html)
{
    static const std::regex attribute(R"((?:src|href)="([^"]+)\")");
    std::vector<std::string> out;
    for (auto it = std::sregex_iterator(html.begin(), html.end(), attribute); it != std::sregex_iterator(); ++it)
        out.push_back((*it)[1]);
    return out;
}

class docs_test : public ::testing::Test {
protected:
    void SetUp() override
    {
        quiet_logs();
        auto a = std::make_unique<keel::http::app>(test_server_settings());
        openapi::openapi_settings settings;
        settings.api_title = "Shop <&> \"API\"";
        settings.openapi_url = "/api/openapi.json";
        settings.docs_url = "/api/docs";
        openapi::mount_docs(*a, settings);
        server_.emplace(std::move(a));
    }
    reply get_with(const std::string& target, std::vector<std::pair<std::string, std::string>> headers)
    {
        return send(server_->port(), {.target = target, .headers = std::move(headers)});
    }

    std::optional<running_app> server_;
};

TEST_F(docs_test, the_page_names_the_document_and_allows_no_inline_script)
{
    const auto page = get(server_->port(), "/api/docs");
    ASSERT_EQ(page.status, 200);
    EXPECT_EQ(page.header("content-type"), "text/html; charset=utf-8");
    EXPECT_EQ(page.header("cache-control"), "no-cache");
    const auto policy = page.header("content-security-policy");
    EXPECT_NE(policy.find("script-src 'self';"), std::string::npos) << policy;
    EXPECT_EQ(policy.find("unsafe-inline"), std::string::npos) << policy;
    EXPECT_NE(page.body.find("<title>Shop &lt;&amp;&gt; &quot;API&quot; - Swagger UI</title>"), std::string::npos) << page.body;
    EXPECT_EQ(page.body.find("<script>"), std::string::npos) << page.body;

    const auto initializer = get(server_->port(), "/api/docs/swagger-ui-init.js");
    ASSERT_EQ(initializer.status, 200);
    EXPECT_EQ(initializer.header("content-type"), "text/javascript; charset=utf-8");
    EXPECT_NE(initializer.body.find(R"(url: "/api/openapi.json")"), std::string::npos) << initializer.body;
    EXPECT_NE(initializer.body.find(R"(window.location.origin + "/api/docs/oauth2-redirect")"), std::string::npos);
    EXPECT_NE(initializer.body.find("validatorUrl: null"), std::string::npos);  // no badge from swagger.io
}

TEST_F(docs_test, linked_files_are_the_packages_bytes_and_immutable)
{
    const auto urls = linked_urls(get(server_->port(), "/api/docs").body);
    const std::vector<std::string> names{"swagger-ui.css", "favicon-32x32.png", "swagger-ui-bundle.js", "swagger-ui-init.js"};
    ASSERT_EQ(urls.size(), names.size());
    for (std::size_t i = 0; i < names.size(); ++i) {
        ASSERT_TRUE(urls[i].starts_with("/api/docs/" + names[i] + "?v=")) << urls[i];
        const auto file = get(server_->port(), urls[i]);
        ASSERT_EQ(file.status, 200) << urls[i];
        EXPECT_EQ(file.header("cache-control"), "public, max-age=31536000, immutable") << urls[i];
        EXPECT_EQ(file.header("etag"), '"' + urls[i].substr(urls[i].find("?v=") + 3) + '"') << urls[i];
        if (names[i] != "swagger-ui-init.js") {
            EXPECT_TRUE(file.body == package_file(names[i])) << names[i] << ": " << file.body.size() << " bytes";
        }
    }
    EXPECT_EQ(get(server_->port(), urls[0]).header("content-type"), "text/css; charset=utf-8");
    EXPECT_EQ(get(server_->port(), urls[1]).header("content-type"), "image/png");
    EXPECT_EQ(get(server_->port(), urls[2]).header("content-type"), "text/javascript; charset=utf-8");
}

// Without the version it was linked with, a URL may name other bytes tomorrow: revalidate.
TEST_F(docs_test, a_file_asked_for_without_its_version_is_revalidated)
{
    const auto bundle = get(server_->port(), "/api/docs/swagger-ui-bundle.js");
    ASSERT_EQ(bundle.status, 200);
    EXPECT_EQ(bundle.header("cache-control"), "no-cache");
    EXPECT_EQ(get(server_->port(), "/api/docs/swagger-ui-bundle.js?v=0123456789abcdef").header("cache-control"), "no-cache");
}

TEST_F(docs_test, a_matching_etag_gets_304_without_a_body)
{
    const auto page = get(server_->port(), "/api/docs");
    const auto etag = page.header("etag");
    ASSERT_TRUE(std::regex_match(etag, std::regex("\"[0-9a-f]{16}\""))) << etag;
    for (const auto& condition : {etag, "W/" + etag, "\"other\", " + etag, std::string("*")}) {
        const auto again = get_with("/api/docs", {{"If-None-Match", condition}});
        EXPECT_EQ(again.status, 304) << condition;
        EXPECT_EQ(again.body, "") << condition;
        EXPECT_EQ(again.header("etag"), etag) << condition;
    }
    EXPECT_EQ(get_with("/api/docs", {{"If-None-Match", "\"other\""}}).status, 200);
}

TEST_F(docs_test, head_answers_as_get_without_the_body)
{
    const auto head = send(server_->port(), {.method = "HEAD", .target = "/api/docs/swagger-ui-bundle.js"});
    EXPECT_EQ(head.status, 200);
    EXPECT_EQ(head.body, "");
    EXPECT_EQ(head.header("content-length"), std::to_string(package_file("swagger-ui-bundle.js").size()));
    EXPECT_EQ(head.header("etag"), get(server_->port(), "/api/docs/swagger-ui-bundle.js").header("etag"));
}

TEST_F(docs_test, the_oauth2_redirect_page_loads_swagger_uis_script_beside_it)
{
    const auto redirect = get(server_->port(), "/api/docs/oauth2-redirect");
    ASSERT_EQ(redirect.status, 200);
    EXPECT_EQ(redirect.header("content-type"), "text/html; charset=utf-8");
    EXPECT_FALSE(redirect.header("content-security-policy").empty());
    EXPECT_EQ(redirect.body, package_file("oauth2-redirect.html"));
    const auto script = get(server_->port(), "/api/docs/oauth2-redirect.js");
    EXPECT_EQ(script.status, 200);
    EXPECT_EQ(script.body, package_file("oauth2-redirect.js"));
}

TEST(docs_urls, that_are_not_plain_paths_are_refused)
{
    for (const std::string docs : {"", "/", "docs", "/docs/", "//docs", "/do\"cs", "/docs/{x}", "/d<o>cs"}) {
        keel::http::app a;
        EXPECT_THROW(openapi::mount_docs(a, {.docs_url = docs}), std::invalid_argument) << docs;
    }
    for (const std::string document : {"", "openapi.json", "//evil.example/openapi.json", "https://evil.example/openapi.json"}) {
        keel::http::app a;
        EXPECT_THROW(openapi::mount_docs(a, {.openapi_url = document}), std::invalid_argument) << document;
    }
}

// DOCS_URL= turns the page off; OPENAPI_URL= (production) turns off the document and the page.
TEST(docs_settings, an_empty_url_turns_the_page_off)
{
    struct expectation {
        std::string openapi_url, docs_url;
        int document, page;
    };
    for (const auto& [openapi_url, docs_url, document, page] :
         {expectation{"/openapi.json", "/docs", 200, 200}, expectation{"/openapi.json", "", 200, 404}, expectation{"", "/docs", 404, 404}}) {
        auto a = std::make_unique<keel::http::app>(test_server_settings());
        openapi::mount(*a, {.openapi_url = openapi_url, .docs_url = docs_url});
        running_app server(std::move(a));
        EXPECT_EQ(get(server.port(), "/openapi.json").status, document) << openapi_url << " " << docs_url;
        EXPECT_EQ(get(server.port(), "/docs").status, page) << openapi_url << " " << docs_url;
        EXPECT_EQ(get(server.port(), "/docs/swagger-ui-bundle.js").status, page) << openapi_url << " " << docs_url;
    }
}

}  // namespace
