#pragma once
// PostgreSQL's client programs a backup and a restore run (pg_dump, pg_restore, psql).
#include <string>
#include <string_view>
#include <vector>

#include <keel/db/url.hpp>

namespace keel::migrate {
struct migrate_settings;
}

namespace keel::migrate::detail {

/// libpq's environment variables for the URL's parts: nothing secret on a command line.
std::vector<std::string> libpq_environment(const db::url& url);

/// `program` (pg_restore, psql) from the directory of MIGRATE_PG_DUMP (or PATH when it names no
/// directory): the client programs of one installation. Throws migrate::error when MIGRATE_PG_DUMP
/// is unset.
std::string beside_pg_dump(const migrate_settings& settings, std::string_view program);

}  // namespace keel::migrate::detail
