#pragma once
#include <memory>

#include "models.hpp"

namespace {{identifier}} {

/// The routes. Declaring them needs no I/O: `{{name}} openapi` prints their document without a database.
void add_routes(keel::http::router& api);

/// The limits on the service's own settings, checked as they load (`{{name}} check` included).
keel::setting_rules<settings> setting_rules();

/// Gives `app` what the handlers take: the settings and the pool on `database`.
void provide(keel::http::app& app, const settings& config, keel::db::pool database);

/// The service as its binary serves it, OpenAPI document and /docs included: for the tests.
std::unique_ptr<keel::http::app> make_app(const settings& config, keel::db::pool database);

}  // namespace {{identifier}}
