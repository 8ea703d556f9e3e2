// Integer columns read into every C++ width, against every backend: each width's bounds come
// back exactly, and a value one beyond them is a decode_error naming the column, never wrapped.
#include <cstdint>
#include <limits>
#include <string>

#include <gtest/gtest.h>

#include <keel/core/block_on.hpp>
#include <keel/db/errors.hpp>

#include "support/database_test.hpp"

namespace {

using keel::task;
using keel::db::decode_error;
using keel::db::session;

constexpr auto int64_min = std::numeric_limits<std::int64_t>::min();
constexpr auto int64_max = std::numeric_limits<std::int64_t>::max();

// What reading `v`, selected as BIGINT column n, into I gives: its value or the error.
template <class I>
task<std::string> read_as(session& s, std::int64_t v)
{
    try {
        const I got = co_await s.one<I>("SELECT CAST($1 AS BIGINT) AS n", v);
        co_return std::to_string(got);
    } catch (const decode_error& e) {
        co_return e.what();
    }
}

template <class I>
std::string out_of_range(std::int64_t v)
{
    return "column 'n': " + std::to_string(v) + " is outside the range " + std::to_string(std::numeric_limits<I>::min()) +
           ".." + std::to_string(std::numeric_limits<I>::max()) + " of the integer it is read into";
}

template <class I>
task<void> check_width(session& s)
{
    const auto min = static_cast<std::int64_t>(std::numeric_limits<I>::min());
    // a database integer is signed 64-bit: uint64's largest readable value is INT64_MAX
    const std::int64_t max = std::numeric_limits<I>::max() > std::uint64_t(int64_max)
                                 ? int64_max
                                 : static_cast<std::int64_t>(std::numeric_limits<I>::max());
    EXPECT_EQ(co_await read_as<I>(s, min), std::to_string(min));
    EXPECT_EQ(co_await read_as<I>(s, max), std::to_string(max));
    if (min != int64_min) {
        EXPECT_EQ(co_await read_as<I>(s, min - 1), out_of_range<I>(min - 1));
    }
    if (max != int64_max) {
        EXPECT_EQ(co_await read_as<I>(s, max + 1), out_of_range<I>(max + 1));
    }
    if (std::is_unsigned_v<I>) {
        EXPECT_EQ(co_await read_as<I>(s, int64_min), out_of_range<I>(int64_min));
    }
}

class decode_test : public keel::testing::database_test {};

TEST_P(decode_test, every_width_reads_its_bounds_and_refuses_one_beyond)
{
    keel::block_on([&]() -> task<void> {
        auto s = database_->make_session();
        co_await check_width<std::int8_t>(s);
        co_await check_width<std::int16_t>(s);
        co_await check_width<std::int32_t>(s);
        co_await check_width<std::int64_t>(s);
        co_await check_width<std::uint8_t>(s);
        co_await check_width<std::uint16_t>(s);
        co_await check_width<std::uint32_t>(s);
        co_await check_width<std::uint64_t>(s);
        co_await s.rollback();
    });
}

struct sized {
    std::int16_t small = 0;
    std::int32_t medium = 0;
    std::int64_t big = 0;
};
BOOST_DESCRIBE_STRUCT(sized, (), (small, medium, big))

struct too_narrow {
    std::int8_t small = 0;
    std::uint32_t medium = 0;
    std::int64_t big = 0;
};
BOOST_DESCRIBE_STRUCT(too_narrow, (), (small, medium, big))

TEST_P(decode_test, columns_of_each_sql_integer_type_read_into_members)
{
    run_all({"CREATE TABLE sizes (id INTEGER NOT NULL, small SMALLINT NOT NULL, medium INTEGER NOT NULL, big BIGINT NOT NULL)"});
    keel::block_on([&]() -> task<void> {
        auto s = database_->make_session();
        co_await s.execute("INSERT INTO sizes VALUES (1, $1, $2, $3), (2, $4, $5, $6)",  //
                           std::numeric_limits<std::int16_t>::min(), std::numeric_limits<std::int32_t>::min(), int64_min,
                           std::numeric_limits<std::int16_t>::max(), std::numeric_limits<std::int32_t>::max(), int64_max);
        auto rows = co_await s.all<sized>("SELECT small, medium, big FROM sizes ORDER BY id");
        EXPECT_EQ(rows.size(), 2u);
        EXPECT_EQ(rows.at(0).small, std::numeric_limits<std::int16_t>::min());
        EXPECT_EQ(rows.at(0).medium, std::numeric_limits<std::int32_t>::min());
        EXPECT_EQ(rows.at(0).big, int64_min);
        EXPECT_EQ(rows.at(1).small, std::numeric_limits<std::int16_t>::max());
        EXPECT_EQ(rows.at(1).medium, std::numeric_limits<std::int32_t>::max());
        EXPECT_EQ(rows.at(1).big, int64_max);
        try {
            co_await s.all<too_narrow>("SELECT small, medium, big FROM sizes ORDER BY id");
            ADD_FAILURE() << "a SMALLINT of -32768 decoded into int8";
        } catch (const decode_error& e) {
            EXPECT_STREQ(e.what(), "column 'small': -32768 is outside the range -128..127 of the integer it is read into");
        }
        co_await s.rollback();
    });
}

}  // namespace

KEEL_INSTANTIATE_FOR_EVERY_BACKEND(decode_test);
