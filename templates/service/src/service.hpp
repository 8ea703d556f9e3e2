#pragma once
#include <memory>

#include "models.hpp"

namespace {{identifier}} {

/// The routes. Declaring them needs no I/O: `{{name}} openapi` prints their document without a database.
void add_routes(keel::http::router& api);

/// Gives `app` what the handlers take: the settings and the pool on `database`. Throws
/// keel::settings_error for settings the service cannot run with.
void provide(keel::http::app& app, const settings& config, keel::db::pool database);

/// The service as its binary serves it, OpenAPI document and /docs included: for the tests.
std::unique_ptr<keel::http::app> make_app(const settings& config, keel::db::pool database);

}  // namespace {{identifier}}
