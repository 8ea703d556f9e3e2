#pragma once
// {{name}}'s models, declared once: they validate requests, shape the JSON and the OpenAPI
// document, name the columns of every query, and `{{name}} migrate revision --autogenerate`
// writes the migrations from them.
#include <cstdint>
#include <optional>
#include <string>

#include <keel/keel.hpp>

namespace {{identifier}} {

/// The items table.
struct item {
    std::int64_t id = 0;
    std::string name;
    std::optional<std::string> description;
    std::int64_t quantity = 0;
    keel::timestamp created_at;
};
BOOST_DESCRIBE_STRUCT(item, (), (id, name, description, quantity, created_at))

inline keel::model::table_def keel_table(item*)
{
    using namespace keel::model;
    return table("items", column(&item::id).primary_key().identity(), column(&item::created_at).server_default(now()),
                 index("ix_items_name", &item::name));
}

/// POST /items' body; PATCH /items/{id} takes it as keel::partial<item_in>: any field may be left out.
struct item_in {
    keel::text<1, 100> name;
    std::optional<keel::text<0, 1000>> description;
    keel::integer<0> quantity = 0;
};
BOOST_DESCRIBE_STRUCT(item_in, (), (name, description, quantity))
constexpr auto keel_defaults(item_in*) { return keel::model::defaults(&item_in::quantity); }

/// GET /items' query: ?limit=&offset=, limit defaulting to the ITEMS_PER_PAGE setting.
struct page {
    std::optional<keel::integer<1, 100>> limit;
    keel::integer<0> offset = 0;
};
BOOST_DESCRIBE_STRUCT(page, (), (limit, offset))

/// Read from the environment and .env: HOST, PORT, LOG_LEVEL, … DATABASE_URL, POOL_SIZE, …,
/// OPENAPI_URL, DOCS_URL, API_TITLE, … (keel's), then the service's own, named after their members:
/// ITEMS_PER_PAGE. `{{name}} --help` lists them all with their defaults; `{{name}} check` prints
/// their values.
struct settings : keel::http::server_settings, keel::db::database_settings, keel::openapi::openapi_settings {
    /// How many items GET /items returns when the request gives no limit (1 to 100: setting_rules()).
    std::int64_t items_per_page = 20;

    settings() { database_url = keel::db::url::parse("sqlite:///./{{identifier}}.db"); }
};
BOOST_DESCRIBE_STRUCT(settings, (keel::http::server_settings, keel::db::database_settings, keel::openapi::openapi_settings),
                      (items_per_page))

}  // namespace {{identifier}}
