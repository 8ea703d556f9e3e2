#include <limits>

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <keel/model/json.hpp>

namespace {

namespace json = boost::json;
using keel::model::from_json;
using keel::model::from_text;
using keel::model::issue_list;
using keel::model::to_json;

struct signup {
    keel::text<3, 32, "^[A-Za-z0-9_.-]+$"> username;
    keel::text<8, 128> password;
    keel::integer<13, 130> age;
    std::optional<std::string> nickname;
    bool newsletter = false;
};
BOOST_DESCRIBE_STRUCT(signup, (), (username, password, age, nickname, newsletter))

struct address {
    std::string city;
};
BOOST_DESCRIBE_STRUCT(address, (), (city))

struct person {
    std::string name;
    std::vector<address> addresses;
    double score = 0;
    keel::timestamp born;
};
BOOST_DESCRIBE_STRUCT(person, (), (name, addresses, score, born))

struct bound {
    std::optional<signup> value;
    issue_list issues;
};

bound bind(const char* text)
{
    bound out;
    out.value = from_json<signup>(json::parse(text), json::array{"body"}, out.issues);
    return out;
}

std::string locs(const issue_list& issues)
{
    std::string out;
    for (const auto& i : issues)
        out += json::serialize(i.loc) + ":" + i.type + " ";
    return out;
}

TEST(model_json, binds_a_valid_object_and_ignores_unknown_keys)
{
    auto r = bind(R"({"username":"alice_1","password":"longenough","age":30,"newsletter":true,"extra":1})");
    ASSERT_TRUE(r.value) << locs(r.issues);
    EXPECT_EQ(r.value->username.str(), "alice_1");
    EXPECT_EQ(r.value->age.get(), 30);
    EXPECT_FALSE(r.value->nickname);
    EXPECT_TRUE(r.value->newsletter);
}

TEST(model_json, reports_every_problem_with_pydantic_types)
{
    auto r = bind(R"({"username":"a","password":"x","age":200,"nickname":5,"newsletter":"yes"})");
    EXPECT_FALSE(r.value);
    EXPECT_EQ(locs(r.issues),
              R"(["body","username"]:string_too_short ["body","password"]:string_too_short )"
              R"(["body","age"]:less_than_equal ["body","nickname"]:string_type ["body","newsletter"]:bool_type )");
    EXPECT_EQ(r.issues[0].msg, "String should have at least 3 characters");
    EXPECT_EQ(r.issues[2].msg, "Input should be less than or equal to 130");
}

TEST(model_json, missing_required_fields_but_not_optional_ones)
{
    auto r = bind(R"({"age":20})");
    EXPECT_EQ(locs(r.issues), R"(["body","username"]:missing ["body","password"]:missing ["body","newsletter"]:missing )");
    EXPECT_EQ(r.issues[0].msg, "Field required");
}

TEST(model_json, text_length_counts_characters_not_bytes)
{
    // 3 characters, 9 bytes: long enough; 33 two-byte characters: too long
    EXPECT_TRUE(bind(R"({"username":"abc","password":"日本語日本語日本","age":20,"newsletter":false})").value);
    std::string long_name(33, 'a');
    auto r = bind((R"({"username":")" + long_name + R"(","password":"12345678","age":20,"newsletter":false})").c_str());
    EXPECT_EQ(locs(r.issues), R"(["body","username"]:string_too_long )");
    EXPECT_EQ(r.issues[0].msg, "String should have at most 32 characters");
}

TEST(model_json, pattern_mismatch)
{
    auto r = bind(R"({"username":"bad name!","password":"12345678","age":20,"newsletter":false})");
    EXPECT_EQ(locs(r.issues), R"(["body","username"]:string_pattern_mismatch )");
    EXPECT_EQ(r.issues[0].msg, "String should match pattern '^[A-Za-z0-9_.-]+$'");
}

TEST(model_json, integer_rules)
{
    issue_list issues;
    using one_to_ten = keel::integer<1, 10>;
    EXPECT_EQ(from_json<one_to_ten>(json::value(5.0), {}, issues)->get(), 5);
    EXPECT_FALSE(from_json<one_to_ten>(json::value(5.5), {}, issues));
    EXPECT_FALSE(from_json<one_to_ten>(json::value("5"), {}, issues));
    EXPECT_FALSE(from_json<one_to_ten>(json::value(0), {}, issues));
    EXPECT_FALSE(from_json<std::int8_t>(json::value(300), {}, issues));
    ASSERT_EQ(issues.size(), 4u);
    EXPECT_EQ(issues[0].type, "int_from_float");
    EXPECT_EQ(issues[1].type, "int_type");
    EXPECT_EQ(issues[2].type, "greater_than_equal");
    EXPECT_EQ(issues[3].type, "less_than_equal");
}

TEST(model_json, nested_lists_and_objects_carry_their_path)
{
    issue_list issues;
    auto p = from_json<person>(json::parse(R"({"name":"n","addresses":[{"city":"x"},{"town":"y"},3],"score":1,"born":"nope"})"),
                               json::array{"body"}, issues);
    EXPECT_FALSE(p);
    EXPECT_EQ(locs(issues), R"(["body","addresses",1,"city"]:missing ["body","addresses",2]:model_attributes_type ["body","born"]:datetime_parsing )");
}

TEST(model_json, non_object_body)
{
    issue_list issues;
    EXPECT_FALSE(from_json<signup>(json::parse("[1,2]"), json::array{"body"}, issues));
    EXPECT_EQ(locs(issues), R"(["body"]:model_attributes_type )");
}

TEST(model_json, serialises_described_structs_in_order)
{
    person p{"ann", {{"Oslo"}}, 2.5, keel::timestamp(std::chrono::seconds(0))};
    EXPECT_EQ(json::serialize(to_json(p)),
              R"({"name":"ann","addresses":[{"city":"Oslo"}],"score":2.5E0,"born":"1970-01-01T00:00:00Z"})");
    std::optional<int> none;
    EXPECT_EQ(json::serialize(to_json(none)), "null");
}

TEST(model_json, writes_json_text_without_a_document)
{
    using keel::model::to_json_text;
    person p{"ann", {{"Oslo"}}, 2.5, keel::timestamp(std::chrono::seconds(0))};
    EXPECT_EQ(to_json_text(p), R"({"name":"ann","addresses":[{"city":"Oslo"}],"score":2.5,"born":"1970-01-01T00:00:00Z"})");
    EXPECT_EQ(to_json_text(std::string("q\"b\\s/\b\f\n\r\t\x01\x1f\x7f é")),
              R"("q\"b\\s/\b\f\n\r\t\u0001\u001f)" "\x7f" R"( é")");
    EXPECT_EQ(to_json_text(3.0), "3.0");
    EXPECT_EQ(to_json_text(-0.1), "-0.1");
    EXPECT_EQ(to_json_text(1e300), "1e+300");
    EXPECT_EQ(to_json_text(std::numeric_limits<double>::quiet_NaN()), "null");
    EXPECT_EQ(to_json_text(-std::numeric_limits<double>::infinity()), "null");
    EXPECT_EQ(to_json_text(std::numeric_limits<std::int64_t>::min()), "-9223372036854775808");
    EXPECT_EQ(to_json_text(std::vector<bool>{true, false}), "[true,false]");
    EXPECT_EQ(to_json_text(std::vector<int>{}), "[]");
    EXPECT_EQ(to_json_text(std::optional<std::string>()), "null");
    // What it writes, Boost.JSON reads back as the same document.
    const std::string odd = "\x02<\u2028>\"";
    EXPECT_EQ(json::parse(to_json_text(odd)).as_string(), odd);
}

TEST(model_text, parses_path_and_query_text)
{
    issue_list issues;
    EXPECT_EQ(*from_text<std::int64_t>("42", {}, issues), 42);
    EXPECT_EQ(*from_text<std::int64_t>("-7", {}, issues), -7);
    EXPECT_TRUE(*from_text<bool>("on", {}, issues));
    EXPECT_FALSE(*from_text<bool>("0", {}, issues));
    EXPECT_DOUBLE_EQ(*from_text<double>("2.5", {}, issues), 2.5);
    EXPECT_TRUE(issues.empty());
    EXPECT_FALSE(from_text<std::int64_t>("4x", json::array{"path", "id"}, issues));
    EXPECT_FALSE(from_text<std::int64_t>("", {}, issues));
    EXPECT_FALSE(from_text<std::int64_t>("99999999999999999999", {}, issues));
    EXPECT_FALSE(from_text<bool>("maybe", {}, issues));
    EXPECT_FALSE(from_text<double>("nan", {}, issues));
    EXPECT_FALSE((from_text<keel::integer<1, 100>>("101", {}, issues)));
    ASSERT_EQ(issues.size(), 6u);
    EXPECT_EQ(issues[0].msg, "Input should be a valid integer, unable to parse string as an integer");
    EXPECT_EQ(json::serialize(issues[0].loc), R"(["path","id"])");
    EXPECT_EQ(issues[3].type, "bool_parsing");
    EXPECT_EQ(issues[4].type, "float_parsing");
    EXPECT_EQ(issues[5].type, "less_than_equal");
}

TEST(model_validation_error, renders_fastapi_detail)
{
    keel::model::validation_error e({{json::array{"query", "limit"}, "Input should be greater than or equal to 1",
                                      "greater_than_equal", {{"ge", 1}}}});
    EXPECT_EQ(json::serialize(e.to_json()),
              R"({"detail":[{"type":"greater_than_equal","loc":["query","limit"],"msg":"Input should be greater than or equal to 1","ctx":{"ge":1}}]})");
}

}  // namespace
