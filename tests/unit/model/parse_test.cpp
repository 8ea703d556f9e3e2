// parse_json: invalid JSON is one json_invalid issue; a lone UTF-16 surrogate escape is a
// string_unicode issue on the field that holds it, wherever that field is.
#include <string>

#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>

#include <keel/model/json.hpp>
#include <keel/model/parse.hpp>

namespace {

namespace json = boost::json;
using keel::model::from_json;
using keel::model::issue_list;
using keel::model::parse_json;

struct tag_item {
    std::string label;
};
BOOST_DESCRIBE_STRUCT(tag_item, (), (label))

struct post {
    std::string title;
    std::optional<keel::text<0, 50, "^[a-z]*$">> slug;
    std::vector<tag_item> tags;
};
BOOST_DESCRIBE_STRUCT(post, (), (title, tags, slug))

// Parses and binds `body` as a post; returns every issue as "loc:type".
std::string problems(const std::string& body)
{
    issue_list issues;
    if (auto v = parse_json(body, json::array{"body"}, issues))
        from_json<post>(*v, json::array{"body"}, issues);
    std::string out;
    for (const auto& i : issues)
        out += json::serialize(i.loc) + ":" + i.type + " ";
    return out;
}

TEST(model_parse, valid_json_and_surrogate_pairs_parse_as_they_are)
{
    issue_list issues;
    auto v = parse_json(R"({"title":"\ud83d\ude00 \u00e9","tags":[]})", json::array{"body"}, issues);
    ASSERT_TRUE(v);
    EXPECT_EQ(v->at("title").as_string(), "\xF0\x9F\x98\x80 \xC3\xA9");
    EXPECT_EQ(problems(R"({"title":"a\\ud800b","tags":[]})"), "");  // an escaped backslash, then text
}

TEST(model_parse, invalid_json_is_one_issue_with_its_offset)
{
    issue_list issues;
    EXPECT_FALSE(parse_json(R"({"title": tru})", json::array{"body"}, issues));
    ASSERT_EQ(issues.size(), 1u);
    EXPECT_EQ(issues[0].type, "json_invalid");
    EXPECT_EQ(issues[0].msg, "JSON decode error");
    EXPECT_EQ(json::serialize(issues[0].loc), R"(["body",10])");
    EXPECT_EQ(problems(R"({"title":"x"} {})"), R"(["body",14]:json_invalid )");
    EXPECT_EQ(problems(std::string(40, '[') + std::string(40, ']')), R"(["body",32]:json_invalid )");  // too deep
}

TEST(model_parse, a_lone_surrogate_is_a_field_error)
{
    for (const char* lone : {R"(\ud800)", R"(\uDBFF)", R"(\udc00)", R"(x\ud800y)", R"(\ud800\u0041)", R"(\ud800\ud800)",
                             R"(\ude00\ud83d)", R"(\ud83d)"}) {
        issue_list issues;
        auto v = parse_json(std::string(R"({"title":")") + lone + R"(","tags":[]})", json::array{"body"}, issues);
        ASSERT_TRUE(v) << lone;
        EXPECT_FALSE(from_json<post>(*v, json::array{"body"}, issues));
        ASSERT_EQ(issues.size(), 1u) << lone;
        EXPECT_EQ(json::serialize(issues[0].loc), R"(["body","title"])");
        EXPECT_EQ(issues[0].type, "string_unicode");
        EXPECT_EQ(issues[0].msg, "Input should be a valid string, unable to parse raw data as a unicode string");
    }
}

TEST(model_parse, nested_fields_are_named_by_their_path)
{
    EXPECT_EQ(problems(R"({"title":"ok \ud83d\ude00","tags":[{"label":"a"},{"label":"\udfff"}],"slug":"\ud800"})"),
              R"(["body","tags",1,"label"]:string_unicode ["body","slug"]:string_unicode )");
}

TEST(model_parse, a_surrogate_in_a_key_or_an_ignored_field_does_no_harm)
{
    EXPECT_EQ(problems(R"({"title":"t","tags":[],"\ud800":"x","extra":["\udc00",{"\ud800k":"\ud800"}]})"), "");
    EXPECT_EQ(problems(R"({"ti\ud800tle":"t","tags":[]})"), R"(["body","title"]:missing )");
}

TEST(model_parse, other_errors_after_a_surrogate_are_still_json_invalid_at_their_offset)
{
    EXPECT_EQ(problems(R"({"title":"\ud800",})"), R"(["body",18]:json_invalid )");
    // invalid UTF-8 beside a surrogate: the lenient parse is not tried, the first error stands
    EXPECT_EQ(problems("{\"title\":\"\\ud800\",\"tags\":[\"\xC0\xAF\"]}"), R"(["body",16]:json_invalid )");
    EXPECT_EQ(problems(R"({"title":"\ud800)"), R"(["body",16]:json_invalid )");
}

}  // namespace
