// The keel command-line tool. `keel check` validates the settings a keel service would read
// (environment, then .env) and prints them with secrets redacted; more commands (migrate, db,
// doctor) arrive with their modules.
#include <cstdio>
#include <string>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <keel/cli/service.hpp>
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

int main(int argc, char** argv)
{
    CLI::App cli{"keel: tools for keel applications", "keel"};
    cli.set_version_flag("--version", "keel " KEEL_VERSION);
    cli.require_subcommand(1);
    keel::cli::command_line args;
    bool connect = false;
    auto* check_cmd = cli.add_subcommand("check", "Validate the settings from the environment and .env; print them redacted");
    check_cmd->add_option("--env-file", args.env_file, "Settings file read after the environment (must exist when given)")
        ->capture_default_str()
        ->each([&](const std::string&) { args.env_file_given = true; });
    check_cmd->add_flag("--connect", connect, "Also open the database");
    CLI11_PARSE(cli, argc, argv);
    if (*check_cmd)
        return check(args, connect);
    return 0;
}
