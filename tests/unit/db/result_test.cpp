#include <cstdint>
#include <limits>
#include <string>

#include <gtest/gtest.h>

#include <keel/db/result.hpp>

namespace {

using namespace keel::db;

struct row_type {
    std::int64_t id = 0;
    std::string name;
    std::optional<double> score;
    bool active = false;
    keel::timestamp created;
};
BOOST_DESCRIBE_STRUCT(row_type, (), (id, name, score, active, created))

result sample()
{
    return result({"id", "name", "score", "active", "created"},
                  {value(std::int64_t(1)), value(std::string("ann")), value(nullptr), value(std::int64_t(1)),
                   value(std::string("2026-01-02 03:04:05"))},
                  0);
}

TEST(db_result, decodes_rows_into_described_structs_by_column_name)
{
    auto r = sample();
    ASSERT_EQ(r.size(), 1u);
    auto row = r[0].as<row_type>();
    EXPECT_EQ(row.id, 1);
    EXPECT_EQ(row.name, "ann");
    EXPECT_FALSE(row.score);
    EXPECT_TRUE(row.active);
    EXPECT_EQ(keel::format_iso8601(row.created), "2026-01-02T03:04:05Z");
}

TEST(db_result, decode_errors_name_the_column)
{
    result r({"id"}, {value(std::string("x"))}, 0);
    try {
        r[0].as<std::int64_t>();
        FAIL();
    } catch (const decode_error& e) {
        EXPECT_STREQ(e.what(), "column 'id': cannot read text as an integer");
    }
    EXPECT_THROW(sample()[0].as<std::int64_t>(), decode_error);  // five columns, not one
    EXPECT_THROW(sample()[0].at("missing"), decode_error);
    result nulls({"n"}, {value(nullptr)}, 0);
    EXPECT_THROW(nulls[0].as<std::string>(), decode_error);
    EXPECT_FALSE(nulls[0].as<std::optional<std::string>>());
}

}  // namespace

namespace {

struct named {
    std::string name;
    std::optional<std::string> nick;
    std::int64_t id = 0;
};
BOOST_DESCRIBE_STRUCT(named, (), (name, nick, id))

TEST(db_result, rows_as_reads_every_row_by_column_name_in_any_order)
{
    const std::string long_text(100, 'x');  // beyond the small-string buffer: moved, not copied
    result r({"id", "nick", "name"},
             {value(std::int64_t(1)), value(nullptr), value(long_text),  //
              value(std::int64_t(2)), value(std::string("bo")), value(std::string("bob"))},
             0);
    auto rows = std::move(r).rows_as<named>();
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_EQ(rows[0].id, 1);
    EXPECT_EQ(rows[0].name, long_text);
    EXPECT_FALSE(rows[0].nick);
    EXPECT_EQ(rows[1].id, 2);
    EXPECT_EQ(rows[1].name, "bob");
    EXPECT_EQ(rows[1].nick, "bo");

    result ids({"id"}, {value(std::int64_t(7)), value(std::int64_t(8))}, 0);
    EXPECT_EQ(std::move(ids).rows_as<std::int64_t>(), (std::vector<std::int64_t>{7, 8}));
    EXPECT_TRUE(result().rows_as<named>().empty());
}

TEST(db_result, rows_as_names_a_missing_column_or_a_wrong_type)
{
    EXPECT_THROW(sample().rows_as<named>(), decode_error);  // no column 'nick'
    EXPECT_THROW(sample().rows_as<std::string>(), decode_error);  // five columns, not one
    result r({"id", "nick", "name"}, {value(std::string("one")), value(nullptr), value(std::string("n"))}, 0);
    try {
        std::move(r).rows_as<named>();
        FAIL();
    } catch (const decode_error& e) {
        EXPECT_STREQ(e.what(), "column 'id': cannot read text as an integer");
    }
}

}  // namespace

namespace {

// Every integer width at both of its bounds and one beyond each, as a database gives them: a
// 64-bit signed value (where one beyond is itself out of int64's range, there is no such value).
template <class I>
class decode_width : public ::testing::Test {
protected:
    static constexpr std::int64_t min = static_cast<std::int64_t>(std::numeric_limits<I>::min());
    // uint64's own maximum is beyond what a database integer holds: INT64_MAX is its largest
    static constexpr std::int64_t max = std::numeric_limits<I>::max() > std::uint64_t(std::numeric_limits<std::int64_t>::max())
                                            ? std::numeric_limits<std::int64_t>::max()
                                            : static_cast<std::int64_t>(std::numeric_limits<I>::max());
    static result one(std::int64_t v) { return result({"n"}, {value(v)}, 0); }
    static std::string refusal(std::int64_t v)
    {
        try {
            one(v)[0].as<I>();
        } catch (const decode_error& e) {
            return e.what();
        }
        return "decoded";
    }
    static std::string range_error(std::int64_t v)
    {
        return "column 'n': " + std::to_string(v) + " is outside the range " + std::to_string(std::numeric_limits<I>::min()) +
               ".." + std::to_string(std::numeric_limits<I>::max()) + " of the integer it is read into";
    }
};
using widths = ::testing::Types<std::int8_t, std::int16_t, std::int32_t, std::int64_t,  //
                                std::uint8_t, std::uint16_t, std::uint32_t, std::uint64_t>;
TYPED_TEST_SUITE(decode_width, widths);

TYPED_TEST(decode_width, both_bounds_decode_exactly)
{
    EXPECT_EQ(this->one(this->min)[0].template as<TypeParam>(), static_cast<TypeParam>(this->min));
    EXPECT_EQ(this->one(this->max)[0].template as<TypeParam>(), static_cast<TypeParam>(this->max));
    EXPECT_EQ(this->one(this->max).template rows_as<std::optional<TypeParam>>()[0], static_cast<TypeParam>(this->max));
}

TYPED_TEST(decode_width, one_beyond_a_bound_is_a_decode_error_not_a_wrapped_value)
{
    constexpr auto int64_min = std::numeric_limits<std::int64_t>::min();
    constexpr auto int64_max = std::numeric_limits<std::int64_t>::max();
    if (this->min != int64_min) {
        EXPECT_EQ(this->refusal(this->min - 1), this->range_error(this->min - 1));
    }
    if (this->max != int64_max) {
        EXPECT_EQ(this->refusal(this->max + 1), this->range_error(this->max + 1));
        EXPECT_EQ(this->refusal(int64_max), this->range_error(int64_max));
    }
    if (std::is_unsigned_v<TypeParam>) {
        EXPECT_EQ(this->refusal(int64_min), this->range_error(int64_min));
    }
}

struct narrow_row {
    std::uint8_t level = 0;
    std::int16_t delta = 0;
};
BOOST_DESCRIBE_STRUCT(narrow_row, (), (level, delta))

TEST(db_result, a_struct_member_out_of_range_is_named)
{
    result r({"level", "delta"}, {value(std::int64_t(255)), value(std::int64_t(-32768)),  //
                                  value(std::int64_t(256)), value(std::int64_t(0))},
             0);
    EXPECT_EQ(r[0].as<narrow_row>().level, 255);
    try {
        std::move(r).rows_as<narrow_row>();
        FAIL();
    } catch (const decode_error& e) {
        EXPECT_STREQ(e.what(), "column 'level': 256 is outside the range 0..255 of the integer it is read into");
    }
    result flag({"b"}, {value(true)}, 0);  // a boolean column read as an integer is 0 or 1
    EXPECT_EQ(flag[0].as<std::uint8_t>(), 1);
}

}  // namespace

namespace {

TEST(db_value, an_unsigned_argument_past_int64_is_refused_not_wrapped)
{
    using keel::db::to_value;
    EXPECT_EQ(std::get<std::int64_t>(to_value(std::uint64_t(9223372036854775807ull))), 9223372036854775807ll);
    EXPECT_THROW(to_value(std::uint64_t(9223372036854775808ull)), std::out_of_range);
    EXPECT_EQ(std::get<std::int64_t>(to_value(std::uint32_t(4294967295u))), 4294967295ll);
    EXPECT_EQ(std::get<std::int64_t>(to_value(std::int8_t(-128))), -128);
}

}  // namespace
