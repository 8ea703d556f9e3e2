// Cookie parsing and the token comparison of the CSRF check, without a server.
#include <gtest/gtest.h>

#include <keel/core/error.hpp>

#include "http/csrf.hpp"

namespace {

using keel::http::detail::constant_time_equal;
using keel::http::detail::cookie_value;

TEST(cookie_value, finds_the_named_cookie)
{
    EXPECT_EQ(cookie_value("csrftoken=abc", "csrftoken"), "abc");
    EXPECT_EQ(cookie_value("session=s1; csrftoken=abc; theme=dark", "csrftoken"), "abc");
    EXPECT_EQ(cookie_value("session=s1;csrftoken=abc", "csrftoken"), "abc");
    EXPECT_EQ(cookie_value("csrftoken=\"abc\"", "csrftoken"), "abc");
    EXPECT_EQ(cookie_value("csrftoken=", "csrftoken"), "");
}

TEST(cookie_value, misses_other_names_and_refuses_duplicates)
{
    EXPECT_EQ(cookie_value("session=s1", "csrftoken"), std::nullopt);
    EXPECT_EQ(cookie_value("xcsrftoken=abc; csrftokenx=abc", "csrftoken"), std::nullopt);
    EXPECT_EQ(cookie_value("CSRFTOKEN=abc", "csrftoken"), std::nullopt);  // RFC 6265: names are case-sensitive
    EXPECT_EQ(cookie_value("csrftoken", "csrftoken"), std::nullopt);
    EXPECT_EQ(cookie_value("csrftoken=abc; csrftoken=planted", "csrftoken"), std::nullopt);
    EXPECT_EQ(cookie_value("", "csrftoken"), std::nullopt);
}

TEST(constant_time_equal, compares_whole_texts)
{
    EXPECT_TRUE(constant_time_equal("token-123", "token-123"));
    EXPECT_TRUE(constant_time_equal("", ""));
    EXPECT_FALSE(constant_time_equal("token-123", "token-124"));
    EXPECT_FALSE(constant_time_equal("token-123", "token-12"));
    EXPECT_FALSE(constant_time_equal("token", "token-123"));
}

TEST(csrf_policy, refuses_star_as_a_trusted_origin)
{
    EXPECT_THROW(keel::http::detail::csrf_policy({.trusted_origins = {"*"}}), keel::error);
    EXPECT_THROW(keel::http::detail::csrf_policy({.trusted_origins = {"null"}}), keel::error);
}

}  // namespace
