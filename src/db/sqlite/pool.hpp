#pragma once
#include <memory>

#include <keel/db/pool.hpp>

#include "db/driver.hpp"

namespace keel::db::sqlite {

/// Opens a SQLite pool for settings.database_url and checks that the database opens.
std::shared_ptr<db::detail::pool_impl> open_pool(const database_settings& settings);

}  // namespace keel::db::sqlite
