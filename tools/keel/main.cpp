// The keel command-line tool. `keel check` validates the settings a keel service would read
// (environment, then .env) and prints them with secrets redacted; `keel db roles` and `keel doctor`
// are the applications' own commands (keel::cli), for a project whatever its models; so are the
// migrate verbs that need no models (autogenerate lives in the applications only).
#include <string>

#include <CLI/CLI.hpp>

#include <keel/cli/service.hpp>
#include <keel/core/log.hpp>
#include <keel/core/settings.hpp>
#include <keel/db/pool.hpp>
#include <keel/http/app.hpp>

namespace {

struct service_settings : keel::http::server_settings, keel::db::database_settings {};
BOOST_DESCRIBE_STRUCT(service_settings, (keel::http::server_settings, keel::db::database_settings), ())

int run(const keel::cli::command_line& args)
{
    try {
        const auto env = keel::cli::command_line_environment(args);
        const auto settings = keel::cli::load_service_settings<service_settings>(env);
        if (args.command == "check")
            return keel::cli::run_check("keel", keel::cli::all_setting_values(settings, &env), &settings, args.connect);
        keel::log::configure(settings.log_level);
        if (args.command.starts_with("migrate "))
            return keel::cli::run_migrate_command("keel", args, env, settings);
        return keel::cli::run_database_command("keel", args, env, settings, settings);
    } catch (...) {
        return keel::cli::report_startup_failure("keel", std::current_exception());
    }
}

}  // namespace

int main(int argc, char** argv)
{
    CLI::App cli{"keel: tools for keel applications", "keel"};
    cli.set_version_flag("--version", "keel " + std::string(keel::cli::keel_version()));
    cli.footer(keel::cli::settings_help(keel::cli::all_setting_values(service_settings{}, nullptr)));
    cli.require_subcommand(1);
    keel::cli::command_line args;
    keel::cli::add_check_command(cli, args);
    keel::cli::add_database_commands(cli, args);
    CLI11_PARSE(cli, argc, argv);
    return run(args);
}
