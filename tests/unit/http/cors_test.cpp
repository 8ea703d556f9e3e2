// Origin matching, header lists and CORS configuration checks, without a server.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <keel/core/error.hpp>
#include <keel/core/settings.hpp>

#include "http/cors.hpp"

namespace {

using keel::http::detail::cors_policy;
using keel::http::detail::for_each_list_element;
using keel::http::detail::is_token;
using keel::http::detail::origin_list;

std::vector<std::string> elements(std::string_view list)
{
    std::vector<std::string> out;
    for_each_list_element(list, [&](std::string_view e) { out.emplace_back(e); });
    return out;
}

TEST(origin_list, matches_a_configured_origin_exactly)
{
    const origin_list allowed({"https://allowed.example", "http://localhost:3000"}, "CORS_ORIGINS");
    EXPECT_TRUE(allowed.allows("https://allowed.example"));
    EXPECT_TRUE(allowed.allows("http://localhost:3000"));
    EXPECT_FALSE(allowed.any());
}

TEST(origin_list, refuses_prefix_suffix_case_and_null_tricks)
{
    const origin_list allowed({"https://allowed.example"}, "CORS_ORIGINS");
    for (const char* trick : {"https://allowed.example.evil.example", "https://allowed.example.", "https://allowed.example/",
                              "https://allowed.example:443", "https://evil.example/https://allowed.example",
                              "https://allowed.examplee", "https://allowed.exampl", "HTTPS://ALLOWED.EXAMPLE",
                              "https://Allowed.example", "http://allowed.example", "null", "", " https://allowed.example",
                              "https://allowed.example ", "https://allowed.example,https://evil.example", "*"})
        EXPECT_FALSE(allowed.allows(trick)) << trick;
}

TEST(origin_list, lower_cases_what_is_configured)
{
    const origin_list allowed({"HTTPS://Allowed.Example"}, "CORS_ORIGINS");
    EXPECT_TRUE(allowed.allows("https://allowed.example"));
}

TEST(origin_list, star_allows_every_origin)
{
    const origin_list any({"*"}, "CORS_ORIGINS");
    EXPECT_TRUE(any.any());
    EXPECT_TRUE(any.allows("https://whoever.example"));
}

TEST(origin_list, refuses_what_is_not_an_origin_at_start_up)
{
    for (const char* bad : {"null", "https://allowed.example/", "https://allowed.example/path", "allowed.example", "://x",
                            "https://", "https://a.example:", "https://user@a.example", "https://a.example?q", ""}) {
        try {
            origin_list({bad}, "CORS_ORIGINS");
            ADD_FAILURE() << "accepted " << bad;
        } catch (const keel::error& e) {
            EXPECT_NE(std::string(e.what()).find("CORS_ORIGINS: '"), std::string::npos) << e.what();
        }
    }
}

TEST(header_list, splits_at_commas_and_trims_blanks)
{
    EXPECT_EQ(elements("x-a, X-B,\tx-c "), (std::vector<std::string>{"x-a", "X-B", "x-c"}));
    EXPECT_EQ(elements(""), std::vector<std::string>{});
    EXPECT_EQ(elements(" , ,, "), std::vector<std::string>{});
    EXPECT_EQ(elements("x-a,,x-b,"), (std::vector<std::string>{"x-a", "x-b"}));
    EXPECT_EQ(elements("one"), std::vector<std::string>{"one"});
    EXPECT_EQ(elements("a b"), std::vector<std::string>{"a b"});  // not a token: the caller refuses it
}

TEST(header_list, a_token_has_no_separators)
{
    EXPECT_TRUE(is_token("X-Custom-Header"));
    EXPECT_TRUE(is_token("PATCH"));
    for (const char* bad : {"", "a b", "a:b", "a\"b", "a(b)", "a/b", "x-\x7f", "caf\xc3\xa9"})
        EXPECT_FALSE(is_token(bad)) << bad;
}

TEST(cors_policy, refuses_credentials_with_any_origin)
{
    try {
        cors_policy({.origins = {"*"}, .credentials = true});
        FAIL() << "credentials with * accepted";
    } catch (const keel::error& e) {
        EXPECT_NE(std::string(e.what()).find("credentials with the origin \"*\""), std::string::npos) << e.what();
    }
}

TEST(cors_policy, refuses_a_method_or_header_that_is_not_a_token)
{
    EXPECT_THROW(cors_policy({.origins = {"https://a.example"}, .methods = {"GET POST"}}), keel::error);
    EXPECT_THROW(cors_policy({.origins = {"https://a.example"}, .headers = {"x:y"}}), keel::error);
}

TEST(cors_settings, are_read_from_the_environment_as_lists)
{
    const keel::environment env({{"CORS_ORIGINS", "https://a.example, https://b.example"}, {"CORS_METHODS", "GET,POST"},
                                 {"CORS_HEADERS", " X-Token "}, {"CORS_CREDENTIALS", "true"}, {"CORS_MAX_AGE", "1m"}});
    const auto policy = keel::load_settings<keel::http::cors_settings>(env).cors();
    EXPECT_EQ(policy.origins, (std::vector<std::string>{"https://a.example", "https://b.example"}));
    EXPECT_EQ(policy.methods, (std::vector<std::string>{"GET", "POST"}));
    EXPECT_EQ(policy.headers, std::vector<std::string>{"X-Token"});
    EXPECT_TRUE(policy.credentials);
    EXPECT_EQ(policy.max_age, std::chrono::seconds(60));
}

}  // namespace
