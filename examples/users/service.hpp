#pragma once
#include <memory>

#include <keel/db/pool.hpp>
#include <keel/http/app.hpp>

#include "models.hpp"

namespace users {

/// The service's schema lives in its migrations folder (examples/users/migrations): the service
/// never creates tables at start-up (`users-service migrate upgrade`, or MIGRATE_ON_START=true).
/// This brings `database` to that folder's head, for tests and tools.
void upgrade_schema(const keel::db::pool& database);

/// The service's routes. Declaring them needs no I/O and no secrets: `users-service openapi`
/// documents them without a database.
void add_routes(keel::http::router& api);

/// Gives `app` what the handlers take: the settings, the password hasher, the token signer, the
/// rate limiter, CORS, the pool on `database`. `hasher` replaces the one `config` describes
/// (tests count its calls). Throws keel::settings_error for unusable token settings (no
/// SECRET_KEY in production, …).
void provide(keel::http::app& app, const settings& config, keel::db::pool database,
             std::shared_ptr<keel::security::password_hasher> hasher = nullptr);

/// The service as its binary serves it: routes, the OpenAPI document (and docs page) as `config`
/// says, then provide(). Throws as provide() does.
std::unique_ptr<keel::http::app> make_app(const settings& config, keel::db::pool database,
                                          std::shared_ptr<keel::security::password_hasher> hasher = nullptr);

}  // namespace users
