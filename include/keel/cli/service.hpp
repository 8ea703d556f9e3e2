#pragma once
#include <cstdint>
#include <exception>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <keel/core/error.hpp>
#include <keel/core/log.hpp>
#include <keel/core/settings.hpp>
#include <keel/http/app.hpp>
#include <keel/migrate/migrator.hpp>
#include <keel/migrate/schema.hpp>
#include <keel/openapi/document.hpp>

namespace CLI {
class App;
}
namespace keel::security {
struct rate_limit_settings;
struct token_settings;
}
namespace keel::db {
struct database_settings;
}

namespace keel::cli {

/// What the command line of a keel application said: `NAME [serve] [--host H] [--port P]
/// [--env-file F]`, `NAME openapi`, `NAME check [--connect]`, `NAME db roles [--apply]`,
/// `NAME doctor [--dir D]` or `NAME migrate VERB`. Flags win over the environment, which wins over
/// the .env file.
struct command_line {
    /// "serve", "openapi", "check", "db roles", "doctor" or "migrate VERB".
    std::string command = "serve";
    /// `check`: also open the database.
    bool connect = false;
    std::optional<std::string> host;
    std::optional<std::uint16_t> port;
    std::string env_file = ".env";
    /// True when --env-file was given: then a missing file is an error, not "all defaults".
    bool env_file_given = false;
    /// Set when the process should exit right away (after --help, or a usage error).
    std::optional<int> exit_code;
    /// `db roles`: run the plan instead of only printing it; print passwords in clear; role names
    /// that override DB_OWNER_ROLE and DB_APP_ROLE.
    bool apply = false;
    bool show_passwords = false;
    std::optional<std::string> owner_role, app_role;
    /// `doctor`: the project directory (its .env is the settings file unless --env-file says
    /// otherwise) and how many instances share the database (overrides INSTANCES).
    std::string dir = ".";
    std::optional<std::size_t> instances;
    /// `migrate VERB` (command "migrate upgrade", …): the target (upgrade, downgrade, stamp) or
    /// folder (init), -m, --sql, --autogenerate, --dialect, merge's revisions and --dir (overrides
    /// MIGRATIONS_DIR).
    std::string migrate_target, message;
    bool sql = false, autogenerate = false;
    std::vector<std::string> dialects, revisions;
    std::optional<std::string> migrations_dir;
    /// `migrate upgrade|downgrade|restore --progress`: auto (a bar on a terminal, else lines), bar
    /// or lines.
    std::string progress = "auto";
    /// `migrate restore --yes`: no question before the database is replaced (the target is the backup).
    bool yes = false;
};

/// Adds `--env-file FILE` to `scope`, filling `out`.
void add_env_file_option(CLI::App& scope, command_line& out);
/// MIGRATIONS_DIR, MIGRATE_…: loaded from `env` and checked; throws keel::settings_error.
migrate::migrate_settings load_migrate_settings(const environment& env);
/// The settings the migrate, db roles and doctor commands read (MIGRATE_…, DB_OWNER_ROLE, …,
/// INSTANCES): from `env`, checked (throws keel::settings_error naming every problem), or their
/// defaults when `env` is null.
std::vector<setting_value> database_command_settings(const environment* env);

/// Settings' values, then (for an application with a database) database_command_settings(env).
template <class Settings>
std::vector<setting_value> all_setting_values(const Settings& settings, const environment* env)
{
    auto out = setting_values(settings);
    if constexpr (std::is_base_of_v<db::database_settings, Settings>) {
        auto commands = database_command_settings(env);
        out.insert(out.end(), commands.begin(), commands.end());
    }
    return out;
}

/// Adds `check [--connect] [--env-file F]` to `cli`.
void add_check_command(CLI::App& cli, command_line& out);
/// `check`: prints every setting as NAME=value (secrets and passwords as ***); with `connect` and
/// a database, opens it. Returns the exit code (1 when the database cannot be opened).
int run_check(std::string_view name, const std::vector<setting_value>& values, const db::database_settings* database,
              bool connect);
/// Adds the commands that need only the database settings, `db roles` and `doctor`, to `cli`
/// (an application's command line and the standalone keel tool share them).
void add_database_commands(CLI::App& cli, command_line& out);
/// Runs `db roles` or `doctor` (args.command) with the loaded settings; returns the exit code.
/// `db roles` on SQLite prints that SQLite has no roles and returns 2. `doctor` returns 1 when it
/// found an error, else 0. Never lets an exception out.
int run_database_command(std::string_view name, const command_line& args, const environment& env,
                         const http::server_settings& server, const db::database_settings& database);

/// Adds `migrate init|revision|upgrade|downgrade|current|history|heads|stamp|merge` to `cli`.
void add_migrate_commands(CLI::App& cli, command_line& out);
/// Runs a `migrate` verb (args.command) on the settings' database and migrations folder; prints
/// what it did or a message naming the problem; returns the exit code (1 on failure, 2 for bad
/// settings; `check`: 1 when models and database differ, 2 when it could not compare). Never lets
/// an exception out.
int run_migrate_command(std::string_view name, const command_line& args, const environment& env,
                        const db::database_settings& database, const migrate::metadata* models = nullptr);
/// With MIGRATE_ON_START=true, runs `upgrade head` before the application serves; logs what it
/// applied. Throws migrate::error (the application does not start on a failed migration).
void migrate_on_start(const environment& env, const db::database_settings& database, const migrate::metadata* models = nullptr);

/// The version of the keel library the program was built with ("0.1.0").
std::string_view keel_version();

/// What `--version` and `--help` say beyond the commands.
struct program_text {
    /// `--version`: the application's version ("" when it has none); keel's follows it.
    std::string version;
    /// `--help` lists these: every setting with its default.
    std::vector<setting_value> settings;
};

/// "NAME VERSION (keel X.Y.Z)", or "NAME (keel X.Y.Z)" without a version.
std::string version_line(std::string_view name, std::string_view version);
/// The settings part of `--help`: where settings come from, then NAME=default lines.
std::string settings_help(const std::vector<setting_value>& settings);

/// Parses argv (CLI11); prints help (with `text`'s settings), the version or a usage error itself.
command_line parse_command_line(int argc, char** argv, std::string_view name, const program_text& text = {});
/// Prints "NAME: <what went wrong>" for a start-up failure and returns the exit code
/// (2 for invalid settings, 1 otherwise).
int report_startup_failure(std::string_view name, std::exception_ptr failure);

/// The environment the command line names: the process environment, then --env-file (which must
/// exist when given) or `.env` (which may be absent).
environment command_line_environment(const command_line& args);

/// The limits of the server's settings (THREADS, sizes, timeouts, LOG_LEVEL) and of the database
/// pool's (POOL_SIZE, POOL_TIMEOUT, CONNECT_TIMEOUT, …), checked while the settings load.
const setting_rules<http::server_settings>& server_setting_rules();
const setting_rules<db::database_settings>& database_setting_rules();

/// OPENAPI_URL and DOCS_URL must be paths; API_SERVERS URLs.
const setting_rules<openapi::openapi_settings>& openapi_setting_rules();

/// load_settings with the rules above for whichever of http::server_settings,
/// db::database_settings and openapi::openapi_settings `Settings` derives from. Throws
/// keel::settings_error naming every problem.
template <class Settings>
Settings load_service_settings(const environment& env, const setting_rules<Settings>& own = {})
{
    constexpr bool database = std::is_base_of_v<db::database_settings, Settings>;
    constexpr bool documented = std::is_base_of_v<openapi::openapi_settings, Settings>;
    if constexpr (database && documented)
        return load_settings<Settings>(env, server_setting_rules(), database_setting_rules(), openapi_setting_rules(), own);
    else if constexpr (database)
        return load_settings<Settings>(env, server_setting_rules(), database_setting_rules(), own);
    else if constexpr (documented)
        return load_settings<Settings>(env, server_setting_rules(), openapi_setting_rules(), own);
    else
        return load_settings<Settings>(env, server_setting_rules(), own);
}

/// What keel's setting groups that `Settings` derives from cannot be used with, across fields
/// (security::token_setting_problems, security::rate_limit_setting_problems).
std::vector<std::string> group_setting_problems(const security::token_settings* tokens, const security::rate_limit_settings* limits);

/// Every problem of `settings` that its fields' rules cannot see: its keel groups' (SECRET_KEY
/// missing in production, …), then the application's own.
template <class Settings>
std::vector<std::string> usability_problems(const Settings& settings, const std::function<std::vector<std::string>(const Settings&)>& own)
{
    const security::token_settings* tokens = nullptr;
    const security::rate_limit_settings* limits = nullptr;
    if constexpr (std::is_base_of_v<security::token_settings, Settings>)
        tokens = &settings;
    if constexpr (std::is_base_of_v<security::rate_limit_settings, Settings>)
        limits = &settings;
    auto problems = group_setting_problems(tokens, limits);
    if (own)
        for (auto& problem : own(settings))
            problems.push_back(std::move(problem));
    return problems;
}

/// Throws keel::settings_error naming every one of usability_problems().
template <class Settings>
void require_usable_settings(const Settings& settings, const std::function<std::vector<std::string>(const Settings&)>& own)
{
    if (auto problems = usability_problems(settings, own); !problems.empty())
        throw settings_error(std::move(problems));
}

/// `NAME check`: `problems` (usability_problems) and those of the commands' settings all named at
/// once, else every value printed (run_check).
template <class Settings>
int check_settings(std::string_view name, const Settings& settings, const environment& env, bool connect,
                   std::vector<std::string> problems)
{
    std::vector<setting_value> values;
    try {
        values = all_setting_values(settings, &env);
    } catch (const settings_error& e) {
        problems.insert(problems.end(), e.problems().begin(), e.problems().end());
    }
    if (!problems.empty())
        throw settings_error(std::move(problems));
    const db::database_settings* database = nullptr;
    if constexpr (std::is_base_of_v<db::database_settings, Settings>)
        database = &settings;
    return run_check(name, values, database, connect);
}

/// A keel application in two halves, so that its document can be printed without any I/O.
template <class Settings>
struct application {
    /// Declares the routes (no I/O, no secrets needed): `NAME openapi` runs only this.
    std::function<void(http::app&, const Settings&)> routes;
    /// Opens what the handlers need (the database, …), provides it to the app and runs it.
    std::function<void(http::app&, const Settings&)> serve;
    /// Limits on the application's own settings (`rules.between(&settings::items_per_page, 1,
    /// 100)`), checked with keel's as they load: start-up, `check` and every command name each
    /// broken one ("ITEMS_PER_PAGE: expected an integer from 1 to 100").
    setting_rules<Settings> rules = {};
    /// What one field's rule cannot say (two settings that must agree): each problem as "NAME:
    /// expected …", none when the settings are usable. Checked with keel's own (SECRET_KEY in
    /// production, …) by `check` and before serving; other commands do not need them.
    std::function<std::vector<std::string>(const Settings&)> problems = {};
    /// The tables of the application's models: `NAME migrate check` compares them with the database.
    migrate::metadata models = {};
    /// What `NAME --version` prints beside keel's version.
    std::string version = {};
};

/// `NAME openapi`: prints the document of `app`'s routes to stdout, indented. Returns the exit code.
int print_openapi(const http::router& app, const openapi::openapi_settings& settings);
/// The document's settings: Settings' own when it derives from openapi::openapi_settings, else
/// the defaults; an empty title becomes the application's name.
template <class Settings>
openapi::openapi_settings openapi_settings_of(const Settings& settings, std::string_view name)
{
    openapi::openapi_settings out;
    if constexpr (std::is_base_of_v<openapi::openapi_settings, Settings>)
        out = settings;
    if (out.api_title.empty())
        out.api_title = name;
    return out;
}

/// The whole `main` of a keel application: parses the command line, loads Settings (a described
/// struct deriving from http::server_settings) from the environment and .env, checking every
/// value before anything starts, sets the log level, declares the routes, mounts the OpenAPI
/// document beside them, then serves (or runs the command asked for). Returns the process exit
/// code; never lets an exception out.
template <class Settings>
int main(int argc, char** argv, std::string_view name, const application<Settings>& application)
{
    const command_line args = parse_command_line(argc, argv, name, {application.version, all_setting_values(Settings{}, nullptr)});
    if (args.exit_code)
        return *args.exit_code;
    try {
        const environment env = command_line_environment(args);
        Settings settings = load_service_settings<Settings>(env, application.rules);
        if (args.host)
            settings.host = *args.host;
        if (args.port)
            settings.port = *args.port;
        auto problems = usability_problems(settings, application.problems);
        if (args.command == "check")
            return check_settings(name, settings, env, args.connect, std::move(problems));
        log::configure(settings.log_level);
        if constexpr (std::is_base_of_v<db::database_settings, Settings>) {
            if (args.command == "db roles" || args.command == "doctor")
                return run_database_command(name, args, env, settings, settings);
            if (args.command.starts_with("migrate "))
                return run_migrate_command(name, args, env, settings, &application.models);
        } else if (args.command != "serve" && args.command != "openapi") {
            throw keel::error(args.command + " needs a database: this application's settings have none (db::database_settings)");
        }
        http::app app(settings);
        application.routes(app, settings);
        const auto documentation = openapi_settings_of(settings, name);
        if (args.command == "openapi")
            return print_openapi(app, documentation);
        if (!problems.empty())  // what serving needs; a migration or the document does not
            throw settings_error(std::move(problems));
        openapi::mount(app, documentation);
        if constexpr (std::is_base_of_v<db::database_settings, Settings>)
            migrate_on_start(env, settings, &application.models);
        application.serve(app, settings);
        return 0;
    } catch (...) {
        return report_startup_failure(name, std::current_exception());
    }
}

}  // namespace keel::cli
