#pragma once
#include <memory>

#include <keel/db/pool.hpp>

#include "db/driver.hpp"

namespace keel::db::postgres {

/// Opens a PostgreSQL pool: checks at once that the server answers and that the most connections
/// this process may open (io_threads lanes × (size + overflow) each) fit in what the server allows.
std::shared_ptr<db::detail::pool_impl> open_pool(const database_settings& settings, std::size_t io_threads);

/// The most connections a pool may hold: io_threads lanes (0: one per core), each with its share
/// of pool_size and max_overflow, rounded up.
std::size_t most_connections(const database_settings& settings, std::size_t io_threads);

}  // namespace keel::db::postgres
