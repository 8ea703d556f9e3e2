#include "service.hpp"

namespace {{identifier}} {

using keel::task;
namespace http = keel::http;
namespace query = keel::query;

namespace {

task<item*> find(query::unit_of_work& uow, std::int64_t id)
{
    item* found = co_await uow.get<item>(id);
    if (!found)
        throw http::error(404, "Item not found");
    co_return found;
}

task<http::created<item>> create_item(http::body<item_in> in, query::unit_of_work uow)
{
    item added;
    added.name = in->name.str();
    if (in->description)
        added.description = in->description->str();
    added.quantity = in->quantity;
    item& stored = uow.add(std::move(added));
    co_await uow.flush();  // the INSERT, which gives the id and created_at
    co_return http::created<item>{stored};
}

task<std::vector<item>> list_items(http::query<page> p, const settings& config, keel::db::session& db)
{
    const auto listing = query::select<item>().from<item>().order_by(query::col<&item::id>)
                             .limit(p->limit ? std::int64_t(*p->limit) : config.items_per_page).offset(p->offset);
    co_return co_await query::all(db, listing);
}

task<item> read_item(http::path<std::int64_t> id, query::unit_of_work uow)
{
    const item* found = co_await find(uow, *id);  // named: g++ 12 mishandles a co_await inside a co_return's expression
    co_return *found;
}

task<item> update_item(http::path<std::int64_t> id, http::body<keel::partial<item_in>> changes, query::unit_of_work uow)
{
    item* found = co_await find(uow, *id);
    changes->assign_to(*found);  // only the fields the request sent
    co_await uow.flush();
    co_return *found;
}

task<void> delete_item(http::path<std::int64_t> id, query::unit_of_work uow)
{
    item* found = co_await find(uow, *id);
    uow.remove(*found);
    co_await uow.flush();
}

}  // namespace

void add_routes(http::router& api)
{
    const http::documented_response not_found{404, "Item not found"};
    api.post("/items", create_item, {.summary = "Create an item", .tags = {"items"}});
    api.get("/items", list_items, {.summary = "List items", .description = "Ordered by id.", .tags = {"items"}});
    api.get("/items/{id}", read_item, {.summary = "Read an item", .tags = {"items"}, .responses = {not_found}});
    api.patch("/items/{id}", update_item,
              {.summary = "Change an item", .description = "Only the fields sent change.", .tags = {"items"},
               .responses = {not_found}});
    api.del("/items/{id}", delete_item, {.summary = "Delete an item", .tags = {"items"}, .responses = {not_found}});
    keel::ops::add_health_routes(api);
}

keel::setting_rules<settings> setting_rules()
{
    keel::setting_rules<settings> rules;
    rules.between(&settings::items_per_page, 1, 100);
    return rules;
}

void provide(http::app& app, const settings& config, keel::db::pool database)
{
    app.provide(std::make_shared<settings>(config));
    app.provide(std::move(database));
}

std::unique_ptr<http::app> make_app(const settings& config, keel::db::pool database)
{
    auto app = std::make_unique<http::app>(config);
    add_routes(*app);
    keel::openapi::mount(*app, keel::cli::openapi_settings_of(config, "{{name}}"));  // as `{{name}} serve` does
    provide(*app, config, std::move(database));
    return app;
}

}  // namespace {{identifier}}
