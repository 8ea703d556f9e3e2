// Every integer width, signed and unsigned, bound from path/query text and from JSON at both
// of its bounds and one beyond each, with pydantic's errors.
#include <cstdint>
#include <limits>
#include <string>

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <keel/model/json.hpp>

namespace {

namespace json = boost::json;
using keel::model::from_json;
using keel::model::from_text;
using keel::model::issue_list;

// Decimal text, since one beyond int64's or uint64's range fits no C++ integer.
struct bounds_text {
    const char* below;
    const char* min;
    const char* max;
    const char* above;
};
template <class I> constexpr bounds_text bounds{};
template <> constexpr bounds_text bounds<std::int8_t>{"-129", "-128", "127", "128"};
template <> constexpr bounds_text bounds<std::int16_t>{"-32769", "-32768", "32767", "32768"};
template <> constexpr bounds_text bounds<std::int32_t>{"-2147483649", "-2147483648", "2147483647", "2147483648"};
template <> constexpr bounds_text bounds<std::int64_t>{"-9223372036854775809", "-9223372036854775808",
                                                       "9223372036854775807", "9223372036854775808"};
template <> constexpr bounds_text bounds<std::uint8_t>{"-1", "0", "255", "256"};
template <> constexpr bounds_text bounds<std::uint16_t>{"-1", "0", "65535", "65536"};
template <> constexpr bounds_text bounds<std::uint32_t>{"-1", "0", "4294967295", "4294967296"};
template <> constexpr bounds_text bounds<std::uint64_t>{"-1", "0", "18446744073709551615", "18446744073709551616"};

template <class I>
class integer_width : public ::testing::Test {
protected:
    static constexpr bounds_text b = bounds<I>;
    static constexpr I min = std::numeric_limits<I>::min();
    static constexpr I max = std::numeric_limits<I>::max();

    // The one issue binding `input` gave, as "type|msg|ctx".
    static std::string refusal(const issue_list& issues)
    {
        if (issues.size() != 1)
            return "expected one issue, got " + std::to_string(issues.size());
        return issues[0].type + "|" + issues[0].msg + "|" + json::serialize(issues[0].ctx);
    }
    static std::string below_min() { return std::string("greater_than_equal|Input should be greater than or equal to ") + b.min + "|{\"ge\":" + b.min + "}"; }
    static std::string above_max() { return std::string("less_than_equal|Input should be less than or equal to ") + b.max + "|{\"le\":" + b.max + "}"; }
};
using widths = ::testing::Types<std::int8_t, std::int16_t, std::int32_t, std::int64_t,  //
                                std::uint8_t, std::uint16_t, std::uint32_t, std::uint64_t>;
TYPED_TEST_SUITE(integer_width, widths);

TYPED_TEST(integer_width, text_binds_both_bounds_exactly)
{
    issue_list issues;
    EXPECT_EQ(from_text<TypeParam>(this->b.min, {}, issues), this->min);
    EXPECT_EQ(from_text<TypeParam>(this->b.max, {}, issues), this->max);
    EXPECT_EQ(from_text<TypeParam>("+5", {}, issues), TypeParam(5));
    EXPECT_EQ(from_text<TypeParam>("-0", {}, issues), TypeParam(0));
    EXPECT_TRUE(issues.empty());
}

TYPED_TEST(integer_width, text_one_beyond_a_bound_is_a_range_error)
{
    issue_list below, above, far_below, far_above;
    EXPECT_FALSE(from_text<TypeParam>(this->b.below, {}, below));
    EXPECT_EQ(this->refusal(below), this->below_min());
    EXPECT_FALSE(from_text<TypeParam>(this->b.above, {}, above));
    EXPECT_EQ(this->refusal(above), this->above_max());
    // beyond 64 bits: still an integer, so still the type's bound (pydantic's ints are unbounded)
    EXPECT_FALSE(from_text<TypeParam>("-123456789012345678901234567890", {}, far_below));
    EXPECT_EQ(this->refusal(far_below), this->below_min());
    EXPECT_FALSE(from_text<TypeParam>("123456789012345678901234567890", {}, far_above));
    EXPECT_EQ(this->refusal(far_above), this->above_max());
}

TYPED_TEST(integer_width, text_that_is_not_an_integer_is_int_parsing)
{
    for (const char* bad : {"", "-", "+", "+-1", "--1", "1.5", "1e3", "12a", " 1", "0x10"}) {
        issue_list issues;
        EXPECT_FALSE(from_text<TypeParam>(bad, json::array{"query", "n"}, issues)) << bad;
        EXPECT_EQ(this->refusal(issues), "int_parsing|Input should be a valid integer, unable to parse string as an integer|{}")
            << bad;
    }
}

TYPED_TEST(integer_width, json_binds_both_bounds_exactly)
{
    issue_list issues;
    // parsed from text, as a body is: Boost.JSON gives uint64 for values above INT64_MAX
    EXPECT_EQ(from_json<TypeParam>(json::parse(this->b.min), {}, issues), this->min);
    EXPECT_EQ(from_json<TypeParam>(json::parse(this->b.max), {}, issues), this->max);
    EXPECT_EQ(from_json<TypeParam>(json::parse("7.0"), {}, issues), TypeParam(7));
    EXPECT_TRUE(issues.empty());
    EXPECT_EQ(keel::model::to_json_text(this->max), this->b.max);
    EXPECT_EQ(keel::model::to_json_text(this->min), this->b.min);
}

TYPED_TEST(integer_width, json_one_beyond_a_bound_is_a_range_error)
{
    issue_list below, above, far_below, far_above;
    // one beyond int64/uint64 arrives as a rounded double; it must still be refused
    EXPECT_FALSE(from_json<TypeParam>(json::parse(this->b.below), {}, below));
    EXPECT_EQ(this->refusal(below), this->below_min());
    EXPECT_FALSE(from_json<TypeParam>(json::parse(this->b.above), {}, above));
    EXPECT_EQ(this->refusal(above), this->above_max());
    EXPECT_FALSE(from_json<TypeParam>(json::parse("-1e300"), {}, far_below));
    EXPECT_EQ(this->refusal(far_below), this->below_min());
    EXPECT_FALSE(from_json<TypeParam>(json::parse("1e300"), {}, far_above));
    EXPECT_EQ(this->refusal(far_above), this->above_max());
    issue_list long_literal;  // 400 digits: Boost.JSON gives infinity
    EXPECT_FALSE(from_json<TypeParam>(json::parse(std::string(400, '9')), {}, long_literal));
    EXPECT_EQ(this->refusal(long_literal), this->above_max());
}

TYPED_TEST(integer_width, json_that_is_not_an_integer)
{
    issue_list fraction, text;
    EXPECT_FALSE(from_json<TypeParam>(json::parse("1.5"), {}, fraction));
    EXPECT_EQ(this->refusal(fraction), "int_from_float|Input should be a valid integer, got a number with a fractional part|{}");
    EXPECT_FALSE(from_json<TypeParam>(json::parse(R"("5")"), {}, text));
    EXPECT_EQ(this->refusal(text), "int_type|Input should be a valid integer|{}");
}

struct widths_record {
    std::uint64_t big = 0;
    std::int8_t small = 0;
    std::optional<std::uint32_t> maybe;
};
BOOST_DESCRIBE_STRUCT(widths_record, (), (big, small, maybe))

TEST(model_integer, members_of_every_width_bind_and_serialise_round_trip)
{
    issue_list issues;
    const char* text = R"({"big":18446744073709551615,"small":-128,"maybe":4294967295})";
    auto r = from_json<widths_record>(json::parse(text), json::array{"body"}, issues);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->big, std::numeric_limits<std::uint64_t>::max());
    EXPECT_EQ(keel::model::to_json_text(*r), text);
    EXPECT_FALSE(from_json<widths_record>(json::parse(R"({"big":-1,"small":128})"), json::array{"body"}, issues));
    ASSERT_EQ(issues.size(), 2u);
    EXPECT_EQ(json::serialize(issues[0].loc), R"(["body","big"])");
    EXPECT_EQ(issues[0].type, "greater_than_equal");
    EXPECT_EQ(json::serialize(issues[1].loc), R"(["body","small"])");
    EXPECT_EQ(issues[1].type, "less_than_equal");
}

TEST(model_integer, constrained_integers_keep_their_own_bounds)
{
    issue_list issues;
    using negative = keel::integer<-10, -1>;
    EXPECT_EQ(from_text<negative>("-10", {}, issues)->get(), -10);
    EXPECT_EQ(from_json<negative>(json::parse("-1"), {}, issues)->get(), -1);
    EXPECT_TRUE(issues.empty());
    EXPECT_FALSE(from_text<negative>("0", {}, issues));
    EXPECT_FALSE(from_json<negative>(json::parse("18446744073709551615"), {}, issues));
    EXPECT_FALSE(from_text<negative>("-11", {}, issues));
    ASSERT_EQ(issues.size(), 3u);
    EXPECT_EQ(json::serialize(issues[0].ctx), R"({"le":-1})");
    EXPECT_EQ(json::serialize(issues[1].ctx), R"({"le":-1})");
    EXPECT_EQ(json::serialize(issues[2].ctx), R"({"ge":-10})");
}

}  // namespace
