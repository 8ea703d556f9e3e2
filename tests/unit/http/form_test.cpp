// application/x-www-form-urlencoded: the parser (WHATWG URL, 5.1) and http::form<T>'s binding,
// driven through the resolver a handler's parameter uses. No server: a request view over text.
#include <optional>
#include <string>

#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>

#include <keel/core/block_on.hpp>
#include <keel/http/depends.hpp>

#include "http/parsed_request.hpp"

namespace {

using keel::http::detail::form_fields;
using keel::http::detail::parse_form;

struct sign_in {
    keel::text<3, 8, "^[a-z]+$"> username;
    std::string password;
    std::optional<keel::integer<1, 10>> remember_days;
    bool admin = false;
};
BOOST_DESCRIBE_STRUCT(sign_in, (), (username, password, remember_days, admin))

TEST(form_parser, splits_decodes_and_keeps_order)
{
    EXPECT_EQ(parse_form("a=1&b=two+words&c=%C3%A9%26%3D"),
              (form_fields{{"a", "1"}, {"b", "two words"}, {"c", "\xC3\xA9&="}}));
    EXPECT_EQ(parse_form("x=1&x=2"), (form_fields{{"x", "1"}, {"x", "2"}}));
    EXPECT_EQ(parse_form("flag&empty=&=novalue"), (form_fields{{"flag", ""}, {"empty", ""}, {"", "novalue"}}));
    EXPECT_EQ(parse_form("a=b=c"), (form_fields{{"a", "b=c"}}));  // the first '=' splits
    EXPECT_EQ(parse_form("&&a=1&&"), (form_fields{{"a", "1"}}));
    EXPECT_EQ(parse_form("bad=%zz%4"), (form_fields{{"bad", "%zz%4"}}));  // a malformed escape stays as is
    EXPECT_EQ(parse_form("nul=a%00b"), (form_fields{{"nul", std::string("a\0b", 3)}}));
    EXPECT_TRUE(parse_form("").empty());
}

// Binds `body` (sent with `content_type`, or none) as http::form<sign_in>.
struct bound {
    std::optional<sign_in> value;
    std::string issues;  // the 422's detail as JSON, empty when it bound
};
bound bind_form(const std::string& body, std::optional<std::string> content_type = "application/x-www-form-urlencoded")
{
    keel::http::detail::parsed_request message;
    if (content_type)
        message.add_field("Content-Type", *content_type);
    const keel::http::request view(keel::http::method::post, "POST", "/token", body, &message);
    const keel::http::app_state state;
    keel::http::request_context ctx{view, {}, {}, state};
    auto form = keel::block_on([&] { return keel::http::resolver<keel::http::form<sign_in>>::resolve(ctx); });
    if (!ctx.issues.empty())
        return {std::nullopt, boost::json::serialize(keel::model::validation_error(ctx.issues).to_json().at("detail"))};
    return {*std::move(form), {}};
}

TEST(form_binding, binds_typed_fields_and_leaves_optional_ones_out)
{
    auto b = bind_form("username=alice&password=p%40ss+word&remember_days=7&admin=true&extra=ignored");
    ASSERT_TRUE(b.value) << b.issues;
    EXPECT_EQ(b.value->username.str(), "alice");
    EXPECT_EQ(b.value->password, "p@ss word");
    EXPECT_EQ(b.value->remember_days, 7);
    EXPECT_TRUE(b.value->admin);
    auto minimal = bind_form("password=&username=bob&admin=0", "application/x-www-form-urlencoded; charset=UTF-8");
    ASSERT_TRUE(minimal.value) << minimal.issues;
    EXPECT_EQ(minimal.value->password, "");
    EXPECT_FALSE(minimal.value->remember_days);
    EXPECT_TRUE(bind_form("username=carol&password=x&admin=off", std::nullopt).value);  // no Content-Type: read as a form
}

TEST(form_binding, problems_are_fastapi_422_items_at_body_field)
{
    EXPECT_EQ(bind_form("").issues, R"([{"type":"missing","loc":["body","username"],"msg":"Field required"},)"
                               R"({"type":"missing","loc":["body","password"],"msg":"Field required"},)"
                               R"({"type":"missing","loc":["body","admin"],"msg":"Field required"}])");
    const std::string invalid = bind_form("username=AB&password=x&remember_days=11&admin=maybe").issues;
    for (const char* expected : {R"("type":"string_too_short","loc":["body","username"])",
                                 R"("type":"less_than_equal","loc":["body","remember_days"])",
                                 R"("type":"bool_parsing","loc":["body","admin"])"})
        EXPECT_NE(invalid.find(expected), std::string::npos) << invalid;
    EXPECT_EQ(invalid.find("maybe"), std::string::npos) << "the input is not echoed";
    const std::string not_utf8 = bind_form("username=abc&password=%FF%FE&admin=0").issues;
    EXPECT_NE(not_utf8.find(R"("type":"string_unicode","loc":["body","password"])"), std::string::npos) << not_utf8;
}

TEST(form_binding, another_content_type_is_415_naming_the_one_expected)
{
    for (const char* type : {"application/json", "multipart/form-data; boundary=x", "text/plain"}) {
        try {
            bind_form(R"({"username":"alice"})", std::string(type));
            FAIL() << type;
        } catch (const keel::http::error& e) {
            EXPECT_EQ(e.status(), 415) << type;
            EXPECT_NE(e.detail().find("application/x-www-form-urlencoded"), std::string::npos) << e.detail();
        }
    }
}

}  // namespace
