#pragma once
#include <memory>

#include <keel/db/pool.hpp>
#include <keel/http/app.hpp>

#include "models.hpp"

namespace users {

/// Creates the users table if it is missing. Until keel has migrations this is the one place
/// the schema is written.
void create_schema(const keel::db::pool& database);

/// The users service on `database`: routes, the password hasher, the pool.
std::unique_ptr<keel::http::app> make_app(const settings& config, keel::db::pool database);

}  // namespace users
