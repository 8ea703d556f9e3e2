#pragma once
// The TechEmpower Framework Benchmarks test types on keel's public API.
#include <memory>

#include <keel/db/pool.hpp>
#include <keel/http/app.hpp>

namespace tfb {

/// Creates and fills `world` (10,000 rows) and `fortune` (the 12 TFB messages) on any backend.
void seed(const keel::db::pool& database);

/// /json, /plaintext, /db, /queries, /updates, /fortunes.
void add_routes(keel::http::router& api);
/// The routes with `database` provided.
std::unique_ptr<keel::http::app> make_app(const keel::http::server_settings& settings, keel::db::pool database);

}  // namespace tfb
