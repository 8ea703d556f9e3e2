// The document generated from routes, without a server: what each kind of handler signature
// and route declaration becomes.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include <keel/http/router.hpp>
#include <keel/openapi/document.hpp>
#include <keel/security/oauth2.hpp>

namespace {

namespace json = boost::json;
namespace http = keel::http;
namespace security = keel::security;
using keel::task;

struct item {
    std::string name;
};
BOOST_DESCRIBE_STRUCT(item, (), (name))

task<http::created<item>> create_item(http::body<item> in) { co_return http::created<item>{*in}; }
task<void> delete_item(http::path<std::int64_t>) { co_return; }
task<http::response> raw() { co_return http::response{}; }
task<http::with_headers<item>> with_headers() { co_return http::with_headers<item>{}; }
task<item> secured(security::bearer) { co_return item{}; }
task<security::token> log_in(http::form<security::password_request_form>) { co_return security::token{}; }

json::value document_of(const http::router& routes) { return keel::openapi::document(routes, {.api_title = "t"}); }
const json::value& op(const json::value& doc, const char* path, const char* method) { return doc.at("paths").at(path).at(method); }

TEST(openapi_document, results_give_the_success_status_and_its_schema)
{
    http::router routes;
    routes.post("/items", create_item);
    routes.del("/items/{id}", delete_item);
    routes.get("/raw", raw);
    routes.get("/headers", with_headers);
    const auto doc = document_of(routes);
    EXPECT_EQ(op(doc, "/items", "post").at("responses").at("201").at("content").at("application/json").at("schema"),
              json::parse(R"({"$ref":"#/components/schemas/item"})"));
    EXPECT_EQ(op(doc, "/items/{id}", "delete").at("responses").at("204"), json::parse(R"({"description":"Successful Response"})"));
    EXPECT_EQ(op(doc, "/raw", "get").at("responses"), json::parse(R"({"200":{"description":"Successful Response"}})"));
    EXPECT_EQ(op(doc, "/headers", "get").at("responses").at("200").at("content").at("application/json").at("schema"),
              json::parse(R"({"$ref":"#/components/schemas/item"})"));
}

TEST(openapi_document, operation_ids_are_derived_from_method_and_path_unless_given)
{
    http::router routes;
    routes.del("/items/{id}", delete_item);
    routes.get("/", raw);
    routes.post("/items", create_item, {.operation_id = "make_item"});
    const auto doc = document_of(routes);
    EXPECT_EQ(op(doc, "/items/{id}", "delete").at("operationId"), "delete_items_id");
    EXPECT_EQ(op(doc, "/", "get").at("operationId"), "get_root");
    EXPECT_EQ(op(doc, "/items", "post").at("operationId"), "make_item");
}

TEST(openapi_document, a_repeated_operation_id_is_refused_naming_both_routes)
{
    http::router routes;
    routes.get("/a", raw, {.operation_id = "same"});
    routes.get("/b", raw, {.operation_id = "same"});
    try {
        document_of(routes);
        FAIL() << "no error";
    } catch (const std::invalid_argument& e) {
        EXPECT_STREQ(e.what(), "OpenAPI: GET /b and GET /a have the same operation id 'same': give one of them route_doc.operation_id");
    }
}

TEST(openapi_document, route_doc_gives_summary_description_tags_deprecation_and_error_statuses)
{
    http::router routes;
    routes.get("/me", secured,
               {.summary = "s", .description = "d", .tags = {"b", "a"}, .responses = {{401, "Log in first"}, {404, "Gone"}},
                .deprecated = true});
    routes.get("/hidden", raw, {.include_in_schema = false});
    const auto doc = document_of(routes);
    const auto& me = op(doc, "/me", "get");
    EXPECT_EQ(me.at("summary"), "s");
    EXPECT_EQ(me.at("description"), "d");
    EXPECT_EQ(me.at("deprecated"), true);
    EXPECT_EQ(me.at("responses").at("401").at("description"), "Log in first");  // the route's words win
    EXPECT_EQ(me.at("responses").at("404").at("content").at("application/json").at("schema"),
              json::parse(R"({"$ref":"#/components/schemas/HTTPError"})"));
    EXPECT_EQ(doc.at("tags"), json::parse(R"([{"name":"b"},{"name":"a"}])"));
    EXPECT_FALSE(doc.at("paths").as_object().contains("/hidden"));
}

TEST(openapi_document, without_a_token_route_only_the_bearer_scheme_remains)
{
    http::router routes;
    routes.get("/me", secured);
    const auto doc = document_of(routes);
    EXPECT_EQ(op(doc, "/me", "get").at("security"), json::parse(R"([{"HTTPBearer":[]}])"));
    EXPECT_EQ(doc.at("components").at("securitySchemes"),
              json::parse(R"({"HTTPBearer":{"type":"http","scheme":"bearer","bearerFormat":"JWT"}})"));
}

TEST(openapi_document, the_route_taking_the_token_form_is_the_password_flows_token_url)
{
    http::router routes;
    routes.get("/me", secured);
    routes.post("/auth/login", log_in);
    const auto doc = document_of(routes);
    EXPECT_EQ(doc.at("components").at("securitySchemes").at("OAuth2PasswordBearer").at("flows").at("password").at("tokenUrl"),
              "/auth/login");
    EXPECT_TRUE(op(doc, "/auth/login", "post").at("responses").as_object().contains("415"));
}

TEST(openapi_document, mount_serves_the_document_beside_the_routes_and_leaves_itself_out)
{
    http::router routes;
    routes.get("/raw", raw);
    keel::openapi::mount(routes, {.openapi_url = "/schema.json", .docs_url = ""});
    ASSERT_EQ(routes.routes().size(), 2u);
    EXPECT_EQ(routes.routes()[1].path_template, "/schema.json");
    EXPECT_FALSE(document_of(routes).at("paths").as_object().contains("/schema.json"));
}

TEST(openapi_document, mount_with_no_url_adds_nothing)
{
    http::router routes;
    keel::openapi::mount(routes, {.openapi_url = ""});
    EXPECT_TRUE(routes.routes().empty());
}

TEST(openapi_document, the_indented_text_is_the_same_document_a_member_per_line)
{
    http::router routes;
    routes.post("/items", create_item);
    const std::string text = keel::openapi::document_text(routes, {.api_title = "t"}, keel::openapi::layout::indented);
    EXPECT_EQ(json::parse(text), document_of(routes));
    EXPECT_TRUE(text.starts_with("{\n  \"openapi\": \"3.1.0\",\n  \"info\": {\n    \"title\": \"t\",")) << text;
    EXPECT_NE(text.find("\"properties\": {\n"), std::string::npos) << text;
}

TEST(openapi_document, servers_are_split_on_commas_and_trimmed)
{
    EXPECT_EQ(keel::openapi::split_servers(" https://a.example ,, http://b:8000,"),
              (std::vector<std::string>{"https://a.example", "http://b:8000"}));
    EXPECT_TRUE(keel::openapi::split_servers("").empty());
}

}  // namespace
