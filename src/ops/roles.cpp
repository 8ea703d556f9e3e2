#include <keel/ops/roles.hpp>

#include <algorithm>
#include <array>
#include <stdexcept>

#include <fmt/format.h>

#include <keel/core/block_on.hpp>
#include <keel/db/pool.hpp>

namespace keel::ops {

namespace {

// NAMEDATALEN - 1: PostgreSQL truncates longer identifiers with only a NOTICE, so a role
// "a…b" (64 bytes) would be created under another name than the one the app connects with.
constexpr std::size_t max_identifier_bytes = 63;

void check_role_name(const std::string& name)
{
    // PostgreSQL reserves these (CREATE ROLE fails), so refuse them before anything runs.
    static constexpr std::array<std::string_view, 5> reserved{"public", "none", "current_user", "session_user",
                                                              "current_role"};
    if (name.starts_with("pg_") || std::find(reserved.begin(), reserved.end(), name) != reserved.end())
        throw std::invalid_argument("role name '" + name + "' is reserved by PostgreSQL; choose another");
}

// A dollar-quoted body whose tag does not occur in it, so nothing inside can end it early.
std::string dollar_quote(const std::string& body)
{
    std::string tag = "$keel$";
    for (int n = 1; body.find(tag) != std::string::npos; ++n)
        tag = "$keel" + std::to_string(n) + "$";
    return tag + body + tag;
}

// CREATE ROLE has no IF NOT EXISTS, and CREATE SCHEMA's prints a NOTICE each time: a DO block
// checks the catalog instead, so that the plan runs again quietly.
std::string unless_exists(const std::string& catalog_query, const std::string& statement)
{
    return "DO " + dollar_quote(" BEGIN IF NOT EXISTS (" + catalog_query + ") THEN " + statement + "; END IF; END ");
}

std::string create_role_if_missing(const std::string& name)
{
    return unless_exists("SELECT FROM pg_catalog.pg_roles WHERE rolname = " + quote_literal(name),
                         "CREATE ROLE " + quote_identifier(name));
}

// LOGIN and nothing else: no superuser, no role or database creation, no replication, no RLS bypass.
std::string alter_role(const std::string& name, const secret<>& password, password_display display)
{
    std::string sql = "ALTER ROLE " + quote_identifier(name) +
                      " WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS";
    if (!password.reveal().empty())
        sql += " PASSWORD " + (display == password_display::shown ? quote_literal(password.reveal()) : "'***'");
    return sql;
}

}  // namespace

std::string quote_identifier(std::string_view name)
{
    if (name.empty())
        throw std::invalid_argument("a PostgreSQL name cannot be empty");
    if (name.size() > max_identifier_bytes)
        throw std::invalid_argument(fmt::format("'{}' is longer than PostgreSQL's {} bytes for a name", name, max_identifier_bytes));
    std::string out = "\"";
    for (char c : name) {
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
            throw std::invalid_argument("a PostgreSQL name here may not contain control characters");
        out += c == '"' ? "\"\"" : std::string(1, c);
    }
    return out + "\"";
}

std::string quote_literal(std::string_view text)
{
    if (text.find('\0') != std::string_view::npos)
        throw std::invalid_argument("a PostgreSQL string cannot contain a NUL byte");
    const bool escaped = text.find('\\') != std::string_view::npos;
    std::string out = escaped ? "E'" : "'";
    for (char c : text) {
        if (c == '\'' || (escaped && c == '\\'))
            out += c;
        out += c;
    }
    return out + "'";
}

role_settings load_role_settings(const environment& env)
{
    // DB_*_PASSWORD_FILE is the settings loader's NAME_FILE, as for every setting.
    return load_settings<role_settings>(env);
}

std::vector<std::string> role_plan(const role_settings& roles, std::string_view database, password_display display)
{
    const auto& owner = roles.db_owner_role;
    const auto& app = roles.db_app_role;
    if (database.empty())
        throw std::invalid_argument("DATABASE_URL names no database: the roles are granted on one (postgresql://…/NAME)");
    check_role_name(owner);
    check_role_name(app);
    if (owner == app)
        throw std::invalid_argument("the owner and the application role must differ (both are '" + owner + "')");
    const auto o = quote_identifier(owner), a = quote_identifier(app), db = quote_identifier(database),
               s = quote_identifier(roles.db_schema);
    const auto future = "ALTER DEFAULT PRIVILEGES FOR ROLE " + o + " IN SCHEMA " + s + " GRANT ";
    return {
        create_role_if_missing(owner),
        alter_role(owner, roles.db_owner_password, display),
        create_role_if_missing(app),
        alter_role(app, roles.db_app_password, display),
        // Only the roles named here may connect; PUBLIC (every role) may not, nor create temp tables.
        "REVOKE ALL ON DATABASE " + db + " FROM PUBLIC",
        // TEMPORARY: `migrate check` reads the models' tables back as temporary tables.
        "GRANT CONNECT, TEMPORARY ON DATABASE " + db + " TO " + o,
        "GRANT CONNECT ON DATABASE " + db + " TO " + a,
        unless_exists("SELECT FROM pg_catalog.pg_namespace WHERE nspname = " + quote_literal(roles.db_schema),
                      "CREATE SCHEMA " + s + " AUTHORIZATION " + o),
        "ALTER SCHEMA " + s + " OWNER TO " + o,
        // PostgreSQL before 15 lets every role create tables in public.
        "REVOKE CREATE ON SCHEMA " + s + " FROM PUBLIC",
        "GRANT USAGE ON SCHEMA " + s + " TO " + a,
        "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA " + s + " TO " + a,
        "GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA " + s + " TO " + a,
        // Tables and sequences the owner creates later (migrations) get the same rights.
        future + "SELECT, INSERT, UPDATE, DELETE ON TABLES TO " + a,
        future + "USAGE, SELECT ON SEQUENCES TO " + a,
    };
}

void apply_role_plan(const db::database_settings& admin, const role_settings& roles)
{
    const auto plan = role_plan(roles, admin.database_url.database(), password_display::shown);
    auto settings = admin;
    settings.pool_size = 1;
    settings.max_overflow = 0;
    settings.pool_budget_check = db::budget_check::off;  // one connection, for a moment
    auto database = db::pool::open(settings, 1);
    block_on([&]() -> task<void> {
        auto session = database.make_session();
        for (const auto& statement : plan)
            co_await session.execute(statement);
        co_await session.commit();
        database.close();  // on the io_context that block_on runs, where the pool's lane lives
    });
}

}  // namespace keel::ops
