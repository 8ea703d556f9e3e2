// docs/routing.md: what a handler takes and returns. Compiled by CI (docs/examples/CMakeLists.txt);
// tests/integration/docs/examples_test.cpp serves these routes and calls each.
#include <keel/keel.hpp>

#include "examples.hpp"

namespace docs::routing {

using keel::task;
namespace http = keel::http;

struct search {
    keel::text<0, 100> q;
    keel::integer<1, 100> limit = 10;
};
BOOST_DESCRIBE_STRUCT(search, (), (q, limit))

struct hit {
    std::string title;
    std::int64_t rank = 0;
};
BOOST_DESCRIBE_STRUCT(hit, (), (title, rank))

struct login_form {
    keel::text<1, 64> username;
    keel::text<1, 128> password;
};
BOOST_DESCRIBE_STRUCT(login_form, (), (username, password))

struct greeting {
    std::string message;
};
BOOST_DESCRIBE_STRUCT(greeting, (), (message))

/// Given to the app once (app.provide); handlers take it as `const shop_config&`.
struct shop_config {
    std::string shop_name = "keel shop";
};

/// A dependency of your own: resolved per request from its own parameters.
struct api_client {
    std::string name;
    static task<api_client> resolve(const http::request& request)
    {
        const auto header = request.header("X-Client");
        if (!header)
            throw http::error(400, "X-Client header missing");
        co_return api_client{std::string(*header)};
    }
};

task<hit> get_item(http::path<std::int64_t> id)  // GET /items/{id}: 422 when id is not an integer
{
    if (*id > 1000)
        throw http::error(404, "Item not found");  // an expected failure: its status and detail
    co_return hit{"item " + std::to_string(*id), *id};
}

task<std::vector<hit>> find(http::query<search> s)  // GET /search?q=…&limit=…: limit defaults to 10
{
    std::vector<hit> hits;
    for (std::int64_t i = 1; i <= s->limit; ++i)
        hits.push_back(hit{s->q.str() + " #" + std::to_string(i), i});
    co_return hits;
}

task<http::with_headers<greeting>> login(http::form<login_form> form)  // application/x-www-form-urlencoded
{
    co_return http::with_headers<greeting>{{"hello " + form->username.str()}, {{"Cache-Control", "no-store"}}};
}

task<greeting> welcome(const shop_config& config, api_client client)
{
    co_return greeting{"welcome to " + config.shop_name + ", " + client.name};
}

task<http::response> robots() { co_return http::response::text(200, "User-agent: *\nDisallow: /\n"); }

task<void> forget(http::path<std::int64_t>) { co_return; }  // void: 204 No Content

void add_routes(http::app& app)
{
    app.get("/items/{id}", get_item, {.summary = "Read an item", .tags = {"items"}, .responses = {{404, "Item not found"}}});
    app.get("/search", find);
    app.post("/login", login);
    app.get("/welcome", welcome);
    app.get("/robots.txt", robots);
    app.del("/items/{id}", forget);
    app.provide(std::make_shared<shop_config>());
}

}  // namespace docs::routing
