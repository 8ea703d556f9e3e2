#pragma once
// doctor's checks, each a pure function of what was read (files, the server's answers), so that
// each can be tested on crafted inputs; doctor.cpp gathers the inputs and runs them.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/describe/class.hpp>

#include <keel/ops/doctor.hpp>

namespace keel::ops::detail {

/// A line of a file that holds a secret in clear: a URL with a password, or NAME=value where
/// NAME ends in PASSWORD, PASSWD or SECRET_KEY. Placeholders (`${VAR}`, `<…>`, `***`, `change-me`) are not secrets.
struct secret_line {
    std::size_t line = 0;
    std::string kind;  // "a URL with a password" or the variable's name; never the value
};
std::vector<secret_line> find_secrets(std::string_view text);

/// The files git tracks in `dir` (relative paths), or nullopt when `dir` is not a git work tree
/// or git is not installed.
std::optional<std::vector<std::string>> tracked_files(const std::filesystem::path& dir);

/// A settings file (.env, .env.production; not .env.example) among the tracked files.
std::vector<finding> tracked_env_findings(const std::vector<std::string>& tracked);
/// `dir/.env` readable or writable by its group or by others.
std::optional<finding> env_permission_finding(const std::filesystem::path& dir);
/// Secrets in the tracked text files of `dir`, one finding per file.
std::vector<finding> committed_secret_findings(const std::filesystem::path& dir, const std::vector<std::string>& tracked);

/// A PostgreSQL URL to a host other than this machine whose sslmode (URL or SSLMODE) is not
/// require, verify-ca or verify-full.
std::optional<finding> tls_finding(const db::database_settings& database);

struct foreign_key {
    std::string table;
    std::string name;
    std::string columns;
};
BOOST_DESCRIBE_STRUCT(foreign_key, (), (table, name, columns))
/// What the server says about itself and the role the app connects as.
struct server_facts {
    std::int64_t max_connections = 0;
    std::int64_t reserved_connections = 0;
    std::string user;
    bool superuser = false;
    std::vector<std::string> owned_schemas;  // on the role's search path, owned by it (or a role it is member of)
    std::vector<foreign_key> unindexed_foreign_keys;
};
/// Asks the server `database` reaches; throws db::error when it does not answer.
server_facts read_server_facts(const db::database_settings& database);
/// `connections` is what one instance may open (POOL_SIZE + MAX_OVERFLOW as split over threads).
std::vector<finding> server_findings(const server_facts& facts, std::size_t connections, std::size_t instances);

/// Revisions of `folder` not applied to the database, an applied revision edited or missing, and
/// two heads; a skipped entry when there is no folder or no database yet.
void check_migrations(const std::filesystem::path& folder, const db::database_settings& database, doctor_report& report);

}  // namespace keel::ops::detail
