#include <gtest/gtest.h>

#include <keel/core/time.hpp>

namespace {

using namespace std::chrono;

TEST(time, formats_utc_with_optional_fraction)
{
    keel::timestamp t = sys_days(year(2026) / 11 / 25) + hours(1) + minutes(2) + seconds(3);
    EXPECT_EQ(keel::format_iso8601(t), "2026-11-25T01:02:03Z");
    EXPECT_EQ(keel::format_iso8601(t + microseconds(4500)), "2026-11-25T01:02:03.004500Z");
}

TEST(time, parses_the_forms_databases_print)
{
    const keel::timestamp expected = sys_days(year(2026) / 11 / 25) + hours(1) + minutes(2) + seconds(3) + milliseconds(120);
    EXPECT_EQ(keel::parse_iso8601("2026-11-25T01:02:03.120Z"), expected);
    EXPECT_EQ(keel::parse_iso8601("2026-11-25 01:02:03.12"), expected);
    EXPECT_EQ(keel::parse_iso8601("2026-11-25 03:02:03.120+02"), expected);
    EXPECT_EQ(keel::parse_iso8601("2026-11-24T23:32:03.120-01:30"), expected);
}

TEST(time, rejects_malformed_input)
{
    for (const char* bad : {"", "2026-11-25", "2026-13-01T00:00:00Z", "2026-02-30T00:00:00Z", "2026-11-25T25:00:00Z",
                            "2026-11-25T01:02:03Zjunk", "yesterday"})
        EXPECT_FALSE(keel::parse_iso8601(bad).has_value()) << bad;
}

TEST(time, round_trips)
{
    const keel::timestamp t = sys_days(year(1999) / 12 / 31) + hours(23) + minutes(59) + seconds(59) + microseconds(999999);
    EXPECT_EQ(keel::parse_iso8601(keel::format_iso8601(t)), t);
}

}  // namespace
