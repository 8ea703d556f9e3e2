// The keel command-line tool. `keel check` validates the settings a keel service would read
// (environment, then .env) and prints them with secrets redacted; `keel db roles` and `keel doctor`
// are the applications' own commands (keel::cli), for a project whatever its models; so are the
// migrate verbs that need no models (autogenerate lives in the applications only).
#include <cstdio>
#include <string>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <keel/cli/service.hpp>
#include <keel/core/log.hpp>
#include <keel/core/settings.hpp>
#include <keel/db/pool.hpp>
#include <keel/http/app.hpp>

namespace {

struct service_settings : keel::http::server_settings, keel::db::database_settings {};
BOOST_DESCRIBE_STRUCT(service_settings, (keel::http::server_settings, keel::db::database_settings), ())

int check(const keel::cli::command_line& args, bool connect)
{
    try {
        auto settings = keel::cli::load_service_settings<service_settings>(keel::cli::command_line_environment(args));
        fmt::print("DATABASE_URL={}\nHOST={}\nPORT={}\nTHREADS={}\nPOOL_SIZE={}\n", settings.database_url.redacted(),
                   settings.host, settings.port, settings.threads, settings.pool_size);
        if (connect) {
            auto database = keel::db::pool::open(settings);
            fmt::print("database: reachable\n");
        }
        return 0;
    } catch (...) {
        return keel::cli::report_startup_failure("keel", std::current_exception());
    }
}

}  // namespace

int database_command(const keel::cli::command_line& args)
{
    try {
        const auto env = keel::cli::command_line_environment(args);
        const auto settings = keel::cli::load_service_settings<service_settings>(env);
        keel::log::configure(settings.log_level);
        if (args.command.starts_with("migrate "))
            return keel::cli::run_migrate_command("keel", args, env, settings);
        return keel::cli::run_database_command("keel", args, env, settings, settings);
    } catch (...) {
        return keel::cli::report_startup_failure("keel", std::current_exception());
    }
}

int main(int argc, char** argv)
{
    CLI::App cli{"keel: tools for keel applications", "keel"};
    cli.set_version_flag("--version", "keel " KEEL_VERSION);
    cli.require_subcommand(1);
    keel::cli::command_line args;
    bool connect = false;
    auto* check_cmd = cli.add_subcommand("check", "Validate the settings from the environment and .env; print them redacted");
    keel::cli::add_env_file_option(*check_cmd, args);
    check_cmd->add_flag("--connect", connect, "Also open the database");
    keel::cli::add_database_commands(cli, args);
    CLI11_PARSE(cli, argc, argv);
    if (*check_cmd)
        return check(args, connect);
    return database_command(args);
}
