// Validation that cannot crash, over a real server: mebibyte values against a pattern,
// pathological bodies up to the size limit, every integer width in a path, lone surrogates.
// Each case is followed by a normal request: the server must still be there to answer it.
#include <cstdint>
#include <limits>
#include <string>

#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>

#include <keel/testing/databases.hpp>
#include <keel/testing/http_client.hpp>
#include <keel/testing/app.hpp>

namespace {

using keel::task;
using namespace keel::http;
using namespace keel::testing;
namespace json = boost::json;

constexpr std::size_t max_body = 2 << 20;  // room for a 1 MiB value and its JSON around it

struct handle_in {
    // nested quantifiers: exponential for a backtracking engine on a near-miss
    keel::text<1, std::numeric_limits<std::size_t>::max(), "^([a-z]+-?)+$"> name;
};
BOOST_DESCRIBE_STRUCT(handle_in, (), (name))

struct tag_in {
    std::string label;
};
BOOST_DESCRIBE_STRUCT(tag_in, (), (label))

struct item_in {
    std::string title;
    std::int64_t count = 0;
    std::vector<tag_in> tags;
};
BOOST_DESCRIBE_STRUCT(item_in, (), (title, count, tags))

// pydantic's `body: str = ""`, `pinned: bool = False`: may be left out, as JSON and as a form.
struct note_in {
    keel::text<1, 50> title;
    std::string body;
    bool pinned = false;
};
BOOST_DESCRIBE_STRUCT(note_in, (), (title, body, pinned))
constexpr auto keel_defaults(note_in*) { return keel::model::defaults(&note_in::body, &note_in::pinned); }

struct size_out {
    std::uint64_t size = 0;
};
BOOST_DESCRIBE_STRUCT(size_out, (), (size))

struct id_out {
    std::uint64_t id = 0;
};
BOOST_DESCRIBE_STRUCT(id_out, (), (id))

class validation_test : public ::testing::Test {
protected:
    void SetUp() override
    {
        quiet_logs();
        keel::model::check_patterns<handle_in>("body");  // what route registration does
        auto settings = test_server_settings();
        settings.max_body_size = max_body;
        auto a = std::make_unique<app>(settings);
        a->post("/handles", [](body<handle_in> in) -> task<created<size_out>> {
            co_return created<size_out>{{in->name->size()}};
        });
        a->post("/items", [](body<item_in> in) -> task<created<size_out>> { co_return created<size_out>{{in->tags.size()}}; });
        a->post("/notes", [](body<note_in> in) -> task<note_in> { co_return *in; });
        a->post("/notes/form", [](form<note_in> in) -> task<note_in> { co_return *in; });
        a->get("/u64/{id}", [](path<std::uint64_t> id) -> task<id_out> { co_return id_out{*id}; });
        a->get("/u8/{id}", [](path<std::uint8_t> id) -> task<id_out> { co_return id_out{*id}; });
        server_.emplace(std::move(a));
    }
    std::uint16_t port() const { return server_->port(); }
    reply post(const std::string& target, const std::string& body) { return post_json(port(), target, body); }
    void expect_still_serving()
    {
        auto r = post("/items", R"({"title":"t","count":1,"tags":[{"label":"a"}]})");
        EXPECT_EQ(r.status, 201) << r.body;
        EXPECT_EQ(r.body, R"({"size":1})");
    }
    // The detail items as "loc:type" (the 422 body FastAPI gives).
    static std::string problems(const reply& r)
    {
        if (r.status != 422)
            return std::to_string(r.status) + ": " + r.body.substr(0, 200);
        const auto body = r.json();  // named: the loop below must not outlive it
        std::string out;
        for (const auto& item : body.at("detail").as_array())
            out += json::serialize(item.at("loc")) + ":" + std::string(item.at("type").as_string()) + " ";
        return out;
    }

    std::optional<running_app> server_;
};

TEST_F(validation_test, a_mebibyte_value_for_a_patterned_field_is_matched_or_refused)
{
    const std::string value(1 << 20, 'a');
    auto ok = post("/handles", R"({"name":")" + value + R"("})");
    EXPECT_EQ(ok.status, 201);
    EXPECT_EQ(ok.body, R"({"size":1048576})");
    auto refused = post("/handles", R"({"name":")" + value + R"(!"})");
    EXPECT_EQ(refused.status, 422);
    EXPECT_EQ(problems(refused), R"(["body","name"]:string_pattern_mismatch )");
    expect_still_serving();
}

TEST_F(validation_test, members_with_defaults_may_be_left_out_of_a_body_or_a_form)
{
    auto json_note = post("/notes", R"({"title":"t"})");
    EXPECT_EQ(json_note.status, 200) << json_note.body;
    EXPECT_EQ(json_note.body, R"({"title":"t","body":"","pinned":false})");
    EXPECT_EQ(post("/notes", R"({"title":"t","body":"b","pinned":true})").body, R"({"title":"t","body":"b","pinned":true})");
    EXPECT_EQ(problems(post("/notes", R"({"pinned":"no way"})")), R"(["body","title"]:missing ["body","pinned"]:bool_type )");

    const auto post_form = [&](const std::string& fields) {
        return send(port(), {"POST", "/notes/form", fields, {{"Content-Type", "application/x-www-form-urlencoded"}}});
    };
    auto form_note = post_form("title=t&pinned=true");
    EXPECT_EQ(form_note.status, 200) << form_note.body;
    EXPECT_EQ(form_note.body, R"({"title":"t","body":"","pinned":true})");
    EXPECT_EQ(problems(post_form("body=b")), R"(["body","title"]:missing )");
    expect_still_serving();
}

TEST_F(validation_test, pathological_bodies_are_refused_not_fatal)
{
    const std::size_t half = max_body / 2;
    // nested beyond the parser's depth limit of 32
    EXPECT_EQ(problems(post("/items", std::string(half, '[') + std::string(half, ']'))), R"(["body",32]:json_invalid )");
    std::string objects;
    while (objects.size() + 6 < max_body / 2)
        objects += R"({"a":)";
    EXPECT_EQ(problems(post("/items", objects + "1" + std::string(objects.size() / 5, '}'))), R"(["body",160]:json_invalid )");
    // an integer of two million digits, and an exponent no double holds
    const std::string digits(max_body - 64, '9');
    EXPECT_EQ(problems(post("/items", R"({"title":"t","tags":[],"count":)" + digits + "}")), R"(["body","count"]:less_than_equal )");
    EXPECT_EQ(problems(post("/items", R"({"title":"t","tags":[],"count":1e999999999})")), R"(["body","count"]:less_than_equal )");
    // a long key and many unknown fields are ignored
    const std::string key(max_body - 64, 'k');
    EXPECT_EQ(post("/items", R"({")" + key + R"(":1,"title":"t","count":1,"tags":[]})").status, 201);
    std::string many = "{";
    for (std::size_t i = 0; many.size() + 64 < max_body; ++i)
        many += "\"f" + std::to_string(i) + "\":0,";
    EXPECT_EQ(post("/items", many + R"("title":"t","count":1,"tags":[]})").status, 201);
    // exactly at the limit (one byte more is a 413, see server_test)
    const std::string head = R"({"count":1,"tags":[],"title":")";
    auto at_limit = post("/items", head + std::string(max_body - head.size() - 2, 'x') + R"("})");
    EXPECT_EQ(at_limit.status, 201) << at_limit.body;
    expect_still_serving();
}

TEST_F(validation_test, unsigned_path_parameters_bind_up_to_their_bound)
{
    EXPECT_EQ(get(port(), "/u64/5").body, R"({"id":5})");
    EXPECT_EQ(get(port(), "/u64/18446744073709551615").body, R"({"id":18446744073709551615})");
    auto above = get(port(), "/u64/18446744073709551616");
    EXPECT_EQ(above.status, 422);
    EXPECT_EQ(json::serialize(above.json()),
              R"({"detail":[{"type":"less_than_equal","loc":["path","id"],"msg":"Input should be less than or equal to 18446744073709551615","ctx":{"le":18446744073709551615}}]})");
    EXPECT_EQ(get(port(), "/u8/255").body, R"({"id":255})");
    EXPECT_EQ(problems(get(port(), "/u8/256")), R"(["path","id"]:less_than_equal )");
    EXPECT_EQ(problems(get(port(), "/u8/-1")), R"(["path","id"]:greater_than_equal )");
    EXPECT_EQ(problems(get(port(), "/u8/x")), R"(["path","id"]:int_parsing )");
}

TEST_F(validation_test, a_lone_surrogate_is_a_field_error_not_a_broken_body)
{
    auto r = post("/items", R"({"title":"\ud800","count":1,"tags":[]})");
    EXPECT_EQ(r.status, 422);
    EXPECT_EQ(json::serialize(r.json()),
              R"({"detail":[{"type":"string_unicode","loc":["body","title"],"msg":"Input should be a valid string, unable to parse raw data as a unicode string"}]})");
    auto nested = post("/items", R"({"title":"\ud83d\ude00","count":1,"tags":[{"label":"ok"},{"label":"a\udc00"}]})");
    EXPECT_EQ(problems(nested), R"(["body","tags",1,"label"]:string_unicode )");
    auto high_then_text = post("/items", R"({"title":"\udbffx","count":1,"tags":[]})");
    EXPECT_EQ(problems(high_then_text), R"(["body","title"]:string_unicode )");
    auto in_key = post("/items", R"({"\ud800":"\udc00","title":"t","count":1,"tags":[]})");
    EXPECT_EQ(in_key.status, 201) << in_key.body;
    expect_still_serving();
}

}  // namespace
