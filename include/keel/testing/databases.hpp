#pragma once
// The databases every database-facing test runs against. Each call gives a fresh, empty one.
#include <iosfwd>
#include <string>
#include <vector>

#include <keel/db/pool.hpp>

namespace keel::testing {

/// postgres_pipelined: PostgreSQL with pipeline_autocommit, so that statements outside a
/// transaction take the shared pipelined connection.
enum class backend { sqlite_file, sqlite_memory, postgres, postgres_pipelined };

/// Every backend this build can test; parameterised suites instantiate over it.
std::vector<backend> all_backends();
std::string backend_name(backend b);
/// GoogleTest prints a parameterised test's backend by its name (found by argument-dependent lookup).
void PrintTo(backend b, std::ostream* out);

/// Settings for a new, empty database of kind `b` (a file in a fresh temporary directory, a
/// private in-memory database, or a new database on this process's throwaway PostgreSQL server),
/// with test-friendly pool timeouts.
db::database_settings fresh_database(backend b);

/// Quiets the access log for test runs (warnings and errors still print); KEEL_TEST_LOG_LEVEL overrides.
void quiet_logs();

}  // namespace keel::testing
