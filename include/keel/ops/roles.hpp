#pragma once
// Least-privilege PostgreSQL roles: an owner that runs migrations and owns the schema, and an
// application role that may only read and write rows (the seed's security checklist).
#include <string>
#include <string_view>
#include <vector>

#include <boost/describe/class.hpp>

#include <keel/core/settings.hpp>

namespace keel::db {
struct database_settings;
}

namespace keel::ops {

/// The two roles and their passwords: DB_OWNER_ROLE, DB_APP_ROLE, DB_SCHEMA, and the passwords
/// from DB_OWNER_PASSWORD / DB_APP_PASSWORD or the files DB_OWNER_PASSWORD_FILE /
/// DB_APP_PASSWORD_FILE (see load_role_settings). An empty password leaves the role's password as
/// it is (a new role then has none: it logs in only where pg_hba.conf asks for none).
struct role_settings {
    std::string db_owner_role = "keel_owner";
    std::string db_app_role = "keel_app";
    std::string db_schema = "public";
    secret<> db_owner_password;
    secret<> db_app_password;
};
BOOST_DESCRIBE_STRUCT(role_settings, (), (db_owner_role, db_app_role, db_schema, db_owner_password, db_app_password))

/// Reads role_settings from `env`; a password may instead come from the file NAME_FILE names
/// (trailing newline dropped), as Docker secrets are mounted. Throws keel::settings_error when both
/// are set or the file cannot be read.
role_settings load_role_settings(const environment& env);

/// Whether the plan shows passwords or `'***'` in their place.
enum class password_display { redacted, shown };

/// The statements that create (or bring up to date) both roles on `database`, each a complete
/// SQL statement. Every statement is idempotent, so the plan may run again. Throws
/// std::invalid_argument for a role or schema name PostgreSQL would truncate or reserve, or
/// when both roles have the same name.
std::vector<std::string> role_plan(const role_settings& roles, std::string_view database, password_display display);

/// `name` as a PostgreSQL identifier in double quotes (`"` doubled). Throws std::invalid_argument
/// for an empty name, one longer than 63 bytes (PostgreSQL would silently cut it) or one with a
/// control character.
std::string quote_identifier(std::string_view name);
/// `text` as a PostgreSQL string literal: `'` doubled; with a backslash, an E'' literal with the
/// backslashes doubled, so it means the same whatever standard_conforming_strings says (as
/// PQescapeLiteral does). Throws std::invalid_argument for a NUL byte.
std::string quote_literal(std::string_view text);

/// Runs the plan on the database `admin` reaches (a superuser, or a role allowed to create roles
/// and grant on the database), in one transaction: all of it or nothing. Blocking; throws
/// db::error when the server refuses a statement.
void apply_role_plan(const db::database_settings& admin, const role_settings& roles);

}  // namespace keel::ops
