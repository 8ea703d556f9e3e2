#pragma once
#include <cstdint>
#include <exception>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

#include <keel/core/error.hpp>
#include <keel/core/log.hpp>
#include <keel/core/settings.hpp>

namespace keel::http {
struct server_settings;
}
namespace keel::db {
struct database_settings;
}

namespace keel::cli {

/// What the command line of a keel application said: `NAME [serve] [--host H] [--port P]
/// [--env-file F]`. Flags win over the environment, which wins over the .env file.
struct command_line {
    std::string command = "serve";
    std::optional<std::string> host;
    std::optional<std::uint16_t> port;
    std::string env_file = ".env";
    /// True when --env-file was given: then a missing file is an error, not "all defaults".
    bool env_file_given = false;
    /// Set when the process should exit right away (after --help, or a usage error).
    std::optional<int> exit_code;
};

/// Parses argv (CLI11); prints help or a usage error itself.
command_line parse_command_line(int argc, char** argv, std::string_view name);
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

/// load_settings with the rules above for whichever of http::server_settings and
/// db::database_settings `Settings` derives from. Throws keel::settings_error naming every problem.
template <class Settings>
Settings load_service_settings(const environment& env)
{
    if constexpr (std::is_base_of_v<db::database_settings, Settings>)
        return load_settings<Settings>(env, server_setting_rules(), database_setting_rules());
    else
        return load_settings<Settings>(env, server_setting_rules());
}

/// The whole `main` of a keel application: parses the command line, loads Settings (a described
/// struct deriving from http::server_settings) from the environment and .env, checking every
/// value before anything starts, sets the log level, then calls serve(settings). Returns the process exit code; never lets an exception out.
template <class Settings>
int main(int argc, char** argv, std::string_view name, const std::function<void(const Settings&)>& serve)
{
    const command_line args = parse_command_line(argc, argv, name);
    if (args.exit_code)
        return *args.exit_code;
    try {
        Settings settings = load_service_settings<Settings>(command_line_environment(args));
        if (args.host)
            settings.host = *args.host;
        if (args.port)
            settings.port = *args.port;
        log::configure(settings.log_level);
        serve(settings);
        return 0;
    } catch (...) {
        return report_startup_failure(name, std::current_exception());
    }
}

}  // namespace keel::cli
