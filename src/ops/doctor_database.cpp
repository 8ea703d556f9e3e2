// doctor's checks on the database: the URL's transport, and what the PostgreSQL server says about
// its connection limit, the app's role and the schema's foreign keys.
#include <algorithm>
#include <array>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <keel/core/block_on.hpp>
#include <keel/db/pool.hpp>

#include "ops/doctor_checks.hpp"

namespace keel::ops::detail {

namespace {

bool is_local_host(const std::string& host)
{
    // Empty or a directory: a Unix socket, which never leaves the machine.
    return host.empty() || host.starts_with('/') || host == "localhost" || host.starts_with("127.") || host == "::1" ||
           host == "[::1]";
}

struct limits_row {
    std::int64_t max_connections = 0;
    std::int64_t reserved_connections = 0;
    std::string role;
    bool superuser = false;
};
BOOST_DESCRIBE_STRUCT(limits_row, (), (max_connections, reserved_connections, role, superuser))

struct schema_row {
    std::string schema;
};
BOOST_DESCRIBE_STRUCT(schema_row, (), (schema))

// A foreign key is covered by a (non-partial) index whose leading columns are its columns, in any
// order: without one, a DELETE or key UPDATE on the referenced table scans the referencing one.
constexpr const char* unindexed_foreign_keys_sql =
    "SELECT c.conrelid::regclass::text AS \"table\", c.conname::text AS name,"
    " (SELECT string_agg(a.attname::text, ', ' ORDER BY k.n) FROM unnest(c.conkey) WITH ORDINALITY k(attnum, n)"
    "  JOIN pg_catalog.pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum) AS columns"
    " FROM pg_catalog.pg_constraint c JOIN pg_catalog.pg_namespace ns ON ns.oid = c.connamespace"
    " WHERE c.contype = 'f' AND ns.nspname NOT IN ('pg_catalog', 'information_schema')"
    " AND NOT EXISTS (SELECT FROM pg_catalog.pg_index i WHERE i.indrelid = c.conrelid AND i.indpred IS NULL"
    "  AND (SELECT array_agg(key.attnum) FROM unnest(i.indkey) WITH ORDINALITY key(attnum, n)"
    "       WHERE key.n <= cardinality(c.conkey)) @> c.conkey)"
    " ORDER BY 1, 2";

finding budget_finding(const server_facts& facts, std::size_t connections, std::size_t instances)
{
    return {severity::error,
            fmt::format("{} instance(s) × {} connections each = {} may be opened, but the server accepts {} "
                        "(max_connections {} - superuser_reserved_connections {})",
                        instances, connections, instances * connections,
                        facts.max_connections - facts.reserved_connections, facts.max_connections,
                        facts.reserved_connections),
            "under load the pools grow until the server refuses connections, and requests fail with 503",
            "lower POOL_SIZE, MAX_OVERFLOW or THREADS, run fewer instances, put PgBouncer in front, or raise "
            "max_connections on the server"};
}

}  // namespace

std::optional<finding> tls_finding(const db::database_settings& database)
{
    const auto& url = database.database_url;
    if (url.kind() != db::backend::postgresql || is_local_host(url.host()))
        return std::nullopt;
    const auto param = url.params().find("sslmode");
    const std::string mode = param != url.params().end() ? param->second : database.sslmode;
    if (mode == "require" || mode == "verify-ca" || mode == "verify-full")
        return std::nullopt;
    return finding{severity::error,
                   fmt::format("DATABASE_URL reaches {} with sslmode {}", url.host(), mode.empty() ? "prefer (libpq's default)" : mode),
                   "without sslmode=require (or verify-*) the password and every row may cross the network in clear, "
                   "and anyone on the path can pose as the server",
                   "add ?sslmode=verify-full&sslrootcert=/path/to/ca.pem to DATABASE_URL (or sslmode=require at least)"};
}

server_facts read_server_facts(const db::database_settings& database)
{
    auto settings = database;
    settings.pool_size = 1;
    settings.max_overflow = 0;
    settings.pool_budget_check = db::budget_check::off;  // doctor reports the budget instead
    auto pool = db::pool::open(settings, 1);
    server_facts facts = block_on([&]() -> task<server_facts> {
        auto s = pool.make_session();
        auto limits = co_await s.one<limits_row>(
            "SELECT current_setting('max_connections')::int8 AS max_connections,"
            " current_setting('superuser_reserved_connections')::int8 AS reserved_connections,"
            " current_user::text AS role, (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user) AS superuser");
        auto schemas = co_await s.all<schema_row>(
            "SELECT nspname::text AS schema FROM pg_catalog.pg_namespace"
            " WHERE nspname = ANY (current_schemas(false)) AND pg_has_role(current_user, nspowner, 'USAGE') ORDER BY 1");
        server_facts out{limits.max_connections, limits.reserved_connections, limits.role, limits.superuser, {}, {}};
        for (auto& row : schemas)
            out.owned_schemas.push_back(std::move(row.schema));
        out.unindexed_foreign_keys = co_await s.all<foreign_key>(unindexed_foreign_keys_sql);
        co_await s.rollback();
        co_return out;
    });
    pool.close();
    return facts;
}

std::vector<finding> server_findings(const server_facts& facts, std::size_t connections, std::size_t instances)
{
    std::vector<finding> found;
    if (static_cast<std::int64_t>(connections * instances) > facts.max_connections - facts.reserved_connections)
        found.push_back(budget_finding(facts, connections, instances));
    if (facts.superuser)
        found.push_back({severity::error, fmt::format("the app connects as {}, a superuser", facts.user),
                         "a superuser bypasses every permission: one SQL injection can drop the database, read "
                         "server files or run programs on the server",
                         "create least-privilege roles with `db roles --apply` and put the application role in DATABASE_URL"});
    else if (!facts.owned_schemas.empty())
        found.push_back({severity::warning,
                         fmt::format("the app connects as {}, owner of schema {}", facts.user, fmt::join(facts.owned_schemas, ", ")),
                         "an owner may DROP or ALTER every table in it, so a bug or an injection can destroy data and schema",
                         "run migrations as the owner and serve as an application role with only SELECT, INSERT, "
                         "UPDATE, DELETE (`db roles --apply`)"});
    for (const auto& key : facts.unindexed_foreign_keys)
        found.push_back({severity::warning,
                         fmt::format("foreign key {} on {} ({}) has no index", key.name, key.table, key.columns),
                         "deleting or updating a referenced row scans the whole referencing table and locks it longer",
                         fmt::format("CREATE INDEX CONCURRENTLY ON {} ({})", key.table, key.columns)});
    return found;
}

}  // namespace keel::ops::detail
