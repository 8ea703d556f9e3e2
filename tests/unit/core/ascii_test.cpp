#include <gtest/gtest.h>

#include "core/ascii.hpp"

namespace {

using keel::detail::ascii_lowered;

TEST(ascii, lowers_ascii_letters_only)
{
    EXPECT_EQ(ascii_lowered("Content-Type"), "content-type");
    EXPECT_EQ(ascii_lowered("PostgreSQL+AsyncPG"), "postgresql+asyncpg");
    EXPECT_EQ(ascii_lowered("TRUE 1 [@`{]"), "true 1 [@`{]");  // the neighbours of A-Z stay
    // UTF-8's 'İ' (C4 B0) and Latin-1's 'Ý' (DD) are bytes, not letters, to a protocol token
    EXPECT_EQ(ascii_lowered("\xC4\xB0I\xDD"), "\xC4\xB0i\xDD");
    EXPECT_EQ(ascii_lowered(""), "");
}

TEST(ascii, compares_ignoring_the_case_of_ascii_letters)
{
    static_assert(keel::detail::equals_ignoring_case("GZip", "gzip"));
    static_assert(!keel::detail::equals_ignoring_case("gzip", "GZIP"));  // the second is taken as lower case
    static_assert(keel::detail::same_ignoring_case("Keep-Alive", "keep-ALIVE"));
    static_assert(!keel::detail::same_ignoring_case("close", "closed"));
}

TEST(ascii, knows_a_uri_scheme)
{
    static_assert(keel::detail::is_uri_scheme("postgresql+asyncpg"));
    static_assert(keel::detail::is_uri_scheme("Redis"));
    static_assert(keel::detail::is_uri_scheme("a.b-c1"));
    static_assert(!keel::detail::is_uri_scheme(""));
    static_assert(!keel::detail::is_uri_scheme("1http"));
    static_assert(!keel::detail::is_uri_scheme("sqlite+///a.db?x&sqlite"));
}

TEST(ascii, trims_optional_whitespace)
{
    static_assert(keel::detail::trim(" \tgzip \t") == "gzip");
    static_assert(keel::detail::trim(" \t ").empty());
    static_assert(keel::detail::trim("a b") == "a b");
    static_assert(keel::detail::trim("--x--", "-") == "x");
}

}  // namespace
