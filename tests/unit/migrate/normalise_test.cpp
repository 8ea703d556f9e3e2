// Normalising SQL fragments: the same meaning as the models write it and as a database reports it.
#include <gtest/gtest.h>

#include "migrate/shape.hpp"

namespace {

using keel::migrate::detail::normalise_sql;

TEST(normalise_sql, drops_outer_parentheses_casts_identifier_quotes_case_and_spacing)
{
    EXPECT_EQ(normalise_sql("('it''s'::text)"), "'it''s'");
    EXPECT_EQ(normalise_sql("'x'::character varying"), "'x'");
    EXPECT_EQ(normalise_sql("'2026-01-01'::timestamp with time zone"), "'2026-01-01'");
    EXPECT_EQ(normalise_sql("'{}'::jsonb"), "'{}'");
    EXPECT_EQ(normalise_sql("  ( ( 0 ) )  "), "0");
    EXPECT_EQ(normalise_sql("NOW()"), "now()");
    EXPECT_EQ(normalise_sql("\"deleted_at\" IS NULL"), normalise_sql("(deleted_at IS NULL)"));
    EXPECT_EQ(normalise_sql("strftime('%Y-%m-%dT%H:%M:%fZ',  'now')"), "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')");
    EXPECT_EQ(normalise_sql("coalesce( a , b )"), "coalesce(a, b)");
}

TEST(normalise_sql, keeps_what_changes_the_meaning)
{
    EXPECT_EQ(normalise_sql("'Ada'"), "'Ada'");                      // a literal's case
    EXPECT_EQ(normalise_sql("\"Mixed\" > 0"), "\"Mixed\" > 0");      // a quoted identifier that needs its quotes
    EXPECT_EQ(normalise_sql("(a) OR (b)"), "(a) or (b)");            // not one pair around the whole
    EXPECT_NE(normalise_sql("a OR b AND c"), normalise_sql("(a OR b) AND c"));
    EXPECT_EQ(normalise_sql(""), "");
}

}  // namespace
