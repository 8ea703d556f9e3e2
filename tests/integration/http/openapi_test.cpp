// The users service's OpenAPI document as a client sees it: GET /openapi.json on a running app,
// validated by a real OpenAPI 3.1 validator (@apidevtools/swagger-parser under node) and checked
// route by route against what the service accepts and answers.
#include <filesystem>
#include <fstream>
#include <functional>
#include <unistd.h>

#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>

#include <keel/testing/app.hpp>
#include <keel/testing/databases.hpp>
#include <keel/testing/http_client.hpp>
#include <keel/testing/process.hpp>

#include "service.hpp"

namespace {

namespace json = boost::json;
namespace fs = std::filesystem;
using namespace keel::testing;

class users_openapi : public ::testing::Test {
protected:
    void start(const std::function<void(users::settings&)>& adjust = {})
    {
        quiet_logs();
        users::settings config;
        static_cast<keel::http::server_settings&>(config) = test_server_settings();
        static_cast<keel::db::database_settings&>(config) = fresh_database(backend::sqlite_file);
        config.secret_key = keel::secret<std::string>(std::string(32, 'k'));  // tests only
        if (adjust)
            adjust(config);
        server_.emplace(users::make_app(config, keel::db::pool::open(config)));
    }
    json::value fetch()
    {
        auto r = get(server_->port(), "/openapi.json");
        EXPECT_EQ(r.status, 200) << r.body;
        EXPECT_EQ(r.header("content-type"), "application/json");
        return r.json();
    }
    std::optional<running_app> server_;
};

const json::object& operation(const json::value& doc, const char* path, const char* method)
{
    return doc.at("paths").at(path).at(method).as_object();
}
const json::value& schema_of(const json::value& doc, const json::value& ref)
{
    const std::string target(ref.at("$ref").as_string());
    return doc.at("components").at("schemas").at(target.substr(target.rfind('/') + 1));
}
const json::value& response_schema(const json::object& op, const char* status)
{
    return op.at("responses").at(status).at("content").at("application/json").at("schema");
}

TEST_F(users_openapi, is_valid_openapi_3_1_by_swagger_parser)
{
    start();
    auto r = get(server_->port(), "/openapi.json");
    ASSERT_EQ(r.status, 200) << r.body;
    const fs::path file = fs::temp_directory_path() / ("keel-openapi-" + std::to_string(::getpid()) + ".json");
    std::ofstream(file) << r.body;
    auto check = run({NODE_BIN, KEEL_SOURCE_DIR "/tests/openapi/validate.mjs", file.string()}, {"PATH=/usr/bin:/bin"},
                     KEEL_SOURCE_DIR);
    fs::remove(file);
    EXPECT_EQ(check.code, 0) << check.output;
    EXPECT_EQ(check.output, "valid\n");
    EXPECT_EQ(r.json().at("openapi"), "3.1.0");
}

TEST_F(users_openapi, names_every_route_once_and_not_itself)
{
    start();
    const auto doc = fetch();
    std::vector<std::string> operations;
    for (const auto& [path, item] : doc.at("paths").as_object())
        for (const auto& [method, op] : item.as_object())
            operations.push_back(std::string(method) + " " + std::string(path) + " " + std::string(op.at("operationId").as_string()));
    std::sort(operations.begin(), operations.end());
    EXPECT_EQ(operations, (std::vector<std::string>{
                              "delete /users/me delete_users_me", "get /healthz get_healthz", "get /readyz get_readyz",
                              "get /users get_users", "get /users/me get_users_me", "get /users/{id} get_users_id",
                              "patch /users/me patch_users_me", "post /token post_token", "post /users post_users"}));
    EXPECT_EQ(operation(doc, "/users", "post").at("summary"), "Create a user");
    EXPECT_EQ(operation(doc, "/users", "post").at("tags"), (json::array{"users"}));
}

TEST_F(users_openapi, path_and_query_parameters_carry_types_defaults_and_bounds)
{
    start();
    const auto doc = fetch();
    EXPECT_EQ(operation(doc, "/users/{id}", "get").at("parameters"),
              json::parse(R"([{"name":"id","in":"path","required":true,"schema":{"type":"integer","format":"int64"}}])"));
    EXPECT_EQ(operation(doc, "/users", "get").at("parameters"), json::parse(R"([
        {"name":"limit","in":"query","required":false,
         "schema":{"type":"integer","format":"int64","minimum":1,"maximum":100,"default":50}},
        {"name":"offset","in":"query","required":false,"schema":{"type":"integer","format":"int64","minimum":0,"default":0}}])"));
}

TEST_F(users_openapi, bodies_are_json_and_form_schemas_with_every_constraint)
{
    start();
    const auto doc = fetch();
    const auto& create = operation(doc, "/users", "post").at("requestBody");
    EXPECT_EQ(create.at("required"), true);
    EXPECT_EQ(schema_of(doc, create.at("content").at("application/json").at("schema")), json::parse(R"({
        "title":"user_create","type":"object",
        "properties":{"username":{"type":"string","minLength":3,"maxLength":32,"pattern":"^[A-Za-z0-9_.-]+$"},
                      "password":{"type":"string","minLength":8,"maxLength":128}},
        "required":["username","password"]})"));
    // PATCH: the same constraints, none required (keel::partial<user_update>).
    const auto& change = operation(doc, "/users/me", "patch").at("requestBody").at("content").at("application/json").at("schema");
    EXPECT_EQ(change, json::parse(R"({"$ref":"#/components/schemas/user_update-Partial"})"));
    EXPECT_EQ(schema_of(doc, change), json::parse(R"({
        "title":"user_update-Partial","type":"object",
        "properties":{"username":{"type":"string","minLength":3,"maxLength":32,"pattern":"^[A-Za-z0-9_.-]+$"},
                      "password":{"type":"string","minLength":8,"maxLength":128},
                      "current_password":{"type":"string"}}})"));
    const auto& login = operation(doc, "/token", "post").at("requestBody").at("content");
    const auto& form = schema_of(doc, login.at("application/x-www-form-urlencoded").at("schema"));
    EXPECT_EQ(form.at("required"), (json::array{"username", "password"}));
    EXPECT_EQ(form.at("properties").at("grant_type"), json::parse(R"({"anyOf":[
        {"type":"string","minLength":8,"maxLength":8,"pattern":"^password$"},{"type":"null"}]})"));
}

TEST_F(users_openapi, each_status_has_its_schema)
{
    start();
    const auto doc = fetch();
    const auto& create = operation(doc, "/users", "post");
    EXPECT_EQ(schema_of(doc, response_schema(create, "201")), json::parse(R"({
        "title":"user_public","type":"object",
        "properties":{"id":{"type":"integer","format":"int64"},"username":{"type":"string"},
                      "created_at":{"type":"string","format":"date-time"}},
        "required":["id","username","created_at"]})"));
    EXPECT_EQ(create.at("responses").at("409").at("description"), "Username already registered");
    EXPECT_EQ(schema_of(doc, response_schema(create, "409")), json::parse(R"({
        "title":"HTTPError","type":"object","properties":{"detail":{"type":"string"}},"required":["detail"]})"));
    const auto& invalid = schema_of(doc, response_schema(create, "422"));
    EXPECT_EQ(invalid.at("properties").at("detail").at("items"), json::parse(R"({"$ref":"#/components/schemas/ValidationError"})"));
    EXPECT_EQ(doc.at("components").at("schemas").at("ValidationError").at("required"), (json::array{"type", "loc", "msg"}));

    const auto& list = operation(doc, "/users", "get");
    EXPECT_EQ(response_schema(list, "200"), json::parse(R"({"type":"array","items":{"$ref":"#/components/schemas/user_public"}})"));
    EXPECT_TRUE(operation(doc, "/users/{id}", "get").at("responses").as_object().contains("404"));
    const auto& remove = operation(doc, "/users/me", "delete").at("responses").as_object();
    EXPECT_FALSE(remove.at("204").as_object().contains("content"));  // 204: no body
    const auto& token = operation(doc, "/token", "post");
    EXPECT_EQ(schema_of(doc, response_schema(token, "200")).at("required"), (json::array{"access_token", "token_type"}));
    std::vector<std::string> statuses;
    for (const auto& [status, unused] : token.at("responses").as_object())
        statuses.emplace_back(status);
    std::sort(statuses.begin(), statuses.end());
    EXPECT_EQ(statuses, (std::vector<std::string>{"200", "401", "415", "422", "429"}));
    EXPECT_FALSE(operation(doc, "/healthz", "get").at("responses").as_object().contains("422"));  // nothing to validate
}

TEST_F(users_openapi, routes_taking_the_current_user_need_a_token_from_the_token_route)
{
    start();
    const auto doc = fetch();
    const auto either = json::parse(R"([{"OAuth2PasswordBearer":[]},{"HTTPBearer":[]}])");
    EXPECT_EQ(operation(doc, "/users/me", "get").at("security"), either);
    EXPECT_EQ(operation(doc, "/users/me", "delete").at("security"), either);
    EXPECT_EQ(operation(doc, "/users/me", "patch").at("security"), either);
    EXPECT_EQ(operation(doc, "/users/me", "get").at("responses").at("401").at("description"),
              "Not authenticated, or the token is not valid");
    EXPECT_FALSE(operation(doc, "/users", "post").contains("security"));
    EXPECT_FALSE(operation(doc, "/token", "post").contains("security"));
    EXPECT_EQ(doc.at("components").at("securitySchemes"), json::parse(R"({
        "OAuth2PasswordBearer":{"type":"oauth2","flows":{"password":{"tokenUrl":"/token","scopes":{}}}},
        "HTTPBearer":{"type":"http","scheme":"bearer","bearerFormat":"JWT"}})"));
}

TEST_F(users_openapi, title_version_and_servers_come_from_the_settings)
{
    start([](users::settings& config) {
        config.api_title = "Users";
        config.api_version = "2.1.0";
        config.api_servers = "https://api.example.com, http://localhost:8000";
    });
    const auto doc = fetch();
    EXPECT_EQ(doc.at("info"), json::parse(R"({"title":"Users","version":"2.1.0"})"));
    EXPECT_EQ(doc.at("servers"), json::parse(R"([{"url":"https://api.example.com"},{"url":"http://localhost:8000"}])"));
}

TEST_F(users_openapi, is_served_at_the_url_the_settings_name)
{
    start([](users::settings& config) { config.openapi_url = "/api/schema.json"; });
    EXPECT_EQ(get(server_->port(), "/api/schema.json").status, 200);
    EXPECT_EQ(get(server_->port(), "/openapi.json").status, 404);
    EXPECT_EQ(send(server_->port(), {.method = "HEAD", .target = "/api/schema.json"}).status, 200);
}

TEST_F(users_openapi, an_empty_url_turns_the_document_off)
{
    start([](users::settings& config) { config.openapi_url.clear(); });
    EXPECT_EQ(get(server_->port(), "/openapi.json").status, 404);
    EXPECT_EQ(get(server_->port(), "/healthz").status, 200);  // the service itself still serves
}

}  // namespace
