#pragma once
#include <memory>

#include <keel/db/pool.hpp>
#include <keel/http/app.hpp>

#include "models.hpp"

namespace users {

/// Creates the users table if it is missing. Until keel has migrations this is the one place
/// the schema is written.
void create_schema(const keel::db::pool& database);

/// The users service on `database`: routes, the password hasher, the token signer, the pool.
/// `hasher` replaces the one `config` describes (tests count its calls). Throws
/// keel::settings_error for unusable token settings (no SECRET_KEY in production, …).
std::unique_ptr<keel::http::app> make_app(const settings& config, keel::db::pool database,
                                          std::shared_ptr<keel::security::password_hasher> hasher = nullptr);

}  // namespace users
