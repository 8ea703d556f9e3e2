// text<> patterns: RE2 search semantics, UTF-8, inputs that would exhaust a backtracking
// engine's stack, and bad patterns reported by check_patterns with the field's name.
#include <stdexcept>
#include <string>

#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>

#include <keel/model/json.hpp>

namespace {

namespace json = boost::json;
using keel::model::check_patterns;
using keel::model::from_json;
using keel::model::from_text;
using keel::model::issue_list;

template <class Text>
bool matches(const std::string& s)
{
    issue_list issues;
    const bool bound = from_text<Text>(s, json::array{"query", "q"}, issues).has_value();
    EXPECT_EQ(issues.empty(), bound);
    if (!bound && !issues.empty()) {
        EXPECT_EQ(issues[0].type, "string_pattern_mismatch");
    }
    return bound;
}

TEST(model_pattern, searches_anywhere_unless_anchored)
{
    using contains_digits = keel::text<0, 100, "[0-9]+">;
    EXPECT_TRUE(matches<contains_digits>("abc123def"));
    EXPECT_FALSE(matches<contains_digits>("abcdef"));
    using starts = keel::text<0, 100, "^ab">;
    EXPECT_TRUE(matches<starts>("abc"));
    EXPECT_FALSE(matches<starts>("cab"));
    using whole = keel::text<0, 100, "^[a-z]+$">;
    EXPECT_TRUE(matches<whole>("abc"));
    EXPECT_FALSE(matches<whole>("abc1"));
    EXPECT_FALSE(matches<whole>("abc\n"));  // $ is the end of the text, not of a line
    EXPECT_TRUE((matches<keel::text<0, 100, "(?i)^hello$">>("HeLLo")));
}

TEST(model_pattern, matches_utf8_by_code_point)
{
    EXPECT_TRUE((matches<keel::text<0, 100, "^.{3}$">>("日本語")));  // 3 characters, 9 bytes
    EXPECT_FALSE((matches<keel::text<0, 100, "^.{9}$">>("日本語")));
    EXPECT_TRUE((matches<keel::text<0, 100, R"(^\p{L}+$)">>("Ünïcødé")));
    EXPECT_FALSE((matches<keel::text<0, 100, R"(^\p{L}+$)">>("a1")));
    EXPECT_TRUE((matches<keel::text<0, 100, "é">>("café")));
}

TEST(model_pattern, invalid_utf8_is_refused_before_any_pattern_runs)
{
    // A percent-decoded path, query or form value may carry any bytes; text must be UTF-8.
    issue_list issues;
    EXPECT_FALSE((from_text<keel::text<0, 100, "^.+$">>("\xFF\xFE", json::array{"query", "q"}, issues)));
    ASSERT_EQ(issues.size(), 1u);
    EXPECT_EQ(issues[0].type, "string_unicode");
    EXPECT_EQ(json::serialize(issues[0].loc), R"(["query","q"])");
    issues.clear();
    EXPECT_FALSE(from_text<std::string>("caf\xC3", json::array{"path", "name"}, issues));  // cut mid-character
    ASSERT_EQ(issues.size(), 1u);
    EXPECT_EQ(issues[0].type, "string_unicode");
}

TEST(model_pattern, reports_the_mismatch_as_pydantic_does)
{
    issue_list issues;
    EXPECT_FALSE((from_text<keel::text<0, 10, "^[a-z]+$">>("A", json::array{"path", "slug"}, issues)));
    ASSERT_EQ(issues.size(), 1u);
    EXPECT_EQ(issues[0].msg, "String should match pattern '^[a-z]+$'");
    EXPECT_EQ(json::serialize(issues[0].ctx), R"({"pattern":"^[a-z]+$"})");
    EXPECT_EQ(json::serialize(issues[0].loc), R"(["path","slug"])");
}

TEST(model_pattern, length_is_checked_before_the_pattern)
{
    issue_list issues;
    EXPECT_FALSE((from_text<keel::text<2, 4, "^[0-9]+$">>("abcdef", {}, issues)));
    ASSERT_EQ(issues.size(), 1u);
    EXPECT_EQ(issues[0].type, "string_too_long");
}

TEST(model_pattern, a_mebibyte_input_runs_in_linear_time_without_recursion)
{
    // std::regex recursed once per character here and overflowed the stack; (a|aa)+ also
    // backtracks exponentially on the trailing 'b' in engines that backtrack.
    using nested = keel::text<0, std::numeric_limits<std::size_t>::max(), "^(a|aa)+$">;
    std::string input(1 << 20, 'a');
    EXPECT_TRUE(matches<nested>(input));
    input.back() = 'b';
    EXPECT_FALSE(matches<nested>(input));
    using word = keel::text<0, std::numeric_limits<std::size_t>::max(), R"(^(\w+\s?)*$)">;
    EXPECT_FALSE(matches<word>(std::string(1 << 20, 'x') + "!"));
}

struct profile {
    keel::text<0, 10, "(unclosed"> handle;
};
BOOST_DESCRIBE_STRUCT(profile, (), (handle))

struct account {
    keel::text<1, 10, "^[a-z]+$"> name;
    std::optional<std::vector<profile>> profiles;
};
BOOST_DESCRIBE_STRUCT(account, (), (name, profiles))

struct good_node {
    keel::text<1, 10, "^[a-z]+$"> label;
    std::vector<good_node> children;
};
BOOST_DESCRIBE_STRUCT(good_node, (), (label, children))

template <class T>
std::string pattern_problem(std::string_view root = {})
{
    try {
        check_patterns<T>(root);
    } catch (const std::invalid_argument& e) {
        return e.what();
    }
    return "";
}

TEST(model_check_patterns, names_the_field_and_re2s_error)
{
    EXPECT_EQ(pattern_problem<account>("body"),
              "field 'body.profiles.handle': the pattern '(unclosed' does not compile: missing ): (unclosed");
    EXPECT_EQ(pattern_problem<profile>(), "field 'handle': the pattern '(unclosed' does not compile: missing ): (unclosed");
}

TEST(model_check_patterns, refuses_what_re2_does_not_support)
{
    using backreference = keel::text<0, 9, "(a)\\1">;
    using lookahead = keel::text<0, 9, "a(?=b)">;
    using lookbehind = std::optional<keel::text<0, 9, "a(?<!b)">>;
    EXPECT_EQ(pattern_problem<backreference>("path.id"),
              "field 'path.id': the pattern '(a)\\1' does not compile: invalid escape sequence: \\1");
    EXPECT_EQ(pattern_problem<lookahead>(), "the pattern 'a(?=b)' does not compile: invalid perl operator: (?=");
    EXPECT_EQ(pattern_problem<lookbehind>(), "the pattern 'a(?<!b)' does not compile: invalid perl operator: (?<");
}

TEST(model_check_patterns, accepts_good_types_including_recursive_ones)
{
    EXPECT_EQ(pattern_problem<good_node>(), "");
    using plain_list = std::vector<keel::text<0, 5>>;
    EXPECT_EQ(pattern_problem<plain_list>(), "");
    EXPECT_EQ(pattern_problem<std::int64_t>(), "");
}

TEST(model_check_patterns, a_bad_pattern_left_unchecked_fails_the_request_not_the_process)
{
    issue_list issues;
    EXPECT_THROW(from_json<profile>(json::parse(R"({"handle":"x"})"), json::array{"body"}, issues),
                 std::invalid_argument);
}

}  // namespace
