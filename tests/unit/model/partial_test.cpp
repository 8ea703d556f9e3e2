// Request models that behave like pydantic's: members with defaults may be left out
// (keel_defaults), and a partial<T> knows which members a PATCH sent (exclude_unset).
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <keel/model/json.hpp>

namespace {

namespace json = boost::json;
using keel::model::from_json;
using keel::model::issue_list;
using keel::model::to_json_text;

struct post_in {
    keel::text<1, 100> title;
    std::string body;
    bool published = false;
    std::vector<std::string> tags{"draft"};
    std::optional<std::int64_t> series;
};
BOOST_DESCRIBE_STRUCT(post_in, (), (title, body, published, tags, series))
constexpr auto keel_defaults(post_in*) { return keel::model::defaults(&post_in::body, &post_in::published, &post_in::tags); }

struct post_row {
    std::int64_t id = 0;
    std::string title;
    std::string body;
    bool published = false;
    std::vector<std::string> tags;
    std::optional<std::int64_t> series;
};
BOOST_DESCRIBE_STRUCT(post_row, (), (id, title, body, published, tags, series))

template <class T>
std::optional<T> bind(const char* text, issue_list& issues)
{
    return from_json<T>(json::parse(text), json::array{"body"}, issues);
}

std::string locs(const issue_list& issues)
{
    std::string out;
    for (const auto& i : issues)
        out += json::serialize(i.loc) + ":" + i.type + " ";
    return out;
}

static_assert(keel::model::has_default<post_in, &post_in::published>());
static_assert(!keel::model::has_default<post_in, &post_in::title>());
static_assert(!keel::model::has_default<post_row, &post_row::published>());  // no keel_defaults: required

TEST(model_defaults, a_member_with_a_default_may_be_left_out_and_keeps_its_initial_value)
{
    issue_list issues;
    auto post = bind<post_in>(R"({"title":"hello"})", issues);
    ASSERT_TRUE(post) << locs(issues);
    EXPECT_EQ(post->title.str(), "hello");
    EXPECT_EQ(post->body, "");
    EXPECT_FALSE(post->published);
    EXPECT_EQ(post->tags, std::vector<std::string>{"draft"});
    EXPECT_FALSE(post->series);

    auto sent = bind<post_in>(R"({"title":"t","body":"b","published":true,"tags":[],"series":3})", issues);
    ASSERT_TRUE(sent) << locs(issues);
    EXPECT_TRUE(sent->published);
    EXPECT_TRUE(sent->tags.empty());
    EXPECT_EQ(sent->series, 3);
}

TEST(model_defaults, a_member_without_one_is_still_required_and_a_sent_default_is_still_checked)
{
    issue_list issues;
    EXPECT_FALSE(bind<post_in>(R"({"published":"yes","tags":null})", issues));
    EXPECT_EQ(locs(issues), R"(["body","title"]:missing ["body","published"]:bool_type ["body","tags"]:list_type )");
    issues.clear();
    EXPECT_FALSE(bind<post_row>(R"({"id":1,"title":"t"})", issues));
    EXPECT_EQ(locs(issues), R"(["body","body"]:missing ["body","published"]:missing ["body","tags"]:missing )");
}

TEST(model_partial, knows_which_members_were_sent)
{
    issue_list issues;
    auto changes = bind<keel::partial<post_in>>(R"({"body":"new text","series":null,"unknown":1})", issues);
    ASSERT_TRUE(changes) << locs(issues);
    EXPECT_FALSE(changes->has<&post_in::title>());  // required in post_in, not in a PATCH
    EXPECT_TRUE(changes->has<&post_in::body>());
    EXPECT_FALSE(changes->has<&post_in::published>());
    EXPECT_TRUE(changes->has<&post_in::series>());  // sent as null: "set it to null", not "leave it"
    EXPECT_EQ((*changes)->body, "new text");
    EXPECT_FALSE(changes->empty());
    EXPECT_TRUE(bind<keel::partial<post_in>>("{}", issues)->empty());
    EXPECT_TRUE(issues.empty());
}

TEST(model_partial, a_member_sent_is_checked_as_in_the_whole_model)
{
    issue_list issues;
    EXPECT_FALSE(bind<keel::partial<post_in>>(R"({"title":"","published":null,"series":"x"})", issues));
    EXPECT_EQ(locs(issues), R"(["body","title"]:string_too_short ["body","published"]:bool_type ["body","series"]:int_type )");
    issues.clear();
    EXPECT_FALSE(bind<keel::partial<post_in>>("[]", issues));
    EXPECT_EQ(locs(issues), R"(["body"]:model_attributes_type )");
}

TEST(model_partial, assigns_and_writes_only_what_was_sent)
{
    issue_list issues;
    auto changes = bind<keel::partial<post_in>>(R"({"title":"renamed","series":null})", issues);
    ASSERT_TRUE(changes) << locs(issues);
    post_row row{7, "old", "kept", true, {"a", "b"}, 5};
    changes->assign_to(row);
    EXPECT_EQ(row.id, 7);
    EXPECT_EQ(row.title, "renamed");
    EXPECT_EQ(row.body, "kept");
    EXPECT_TRUE(row.published);
    EXPECT_EQ(row.tags, (std::vector<std::string>{"a", "b"}));
    EXPECT_FALSE(row.series);
    EXPECT_EQ(to_json_text(*changes), R"({"title":"renamed","series":null})");  // model_dump(exclude_unset=True)
    EXPECT_EQ(to_json_text(keel::partial<post_in>()), "{}");
}

}  // namespace
