// The keel command-line tool. `keel new NAME` makes a new service's project. `keel check` validates the settings a keel service would read
// (environment, then .env) and prints them with secrets redacted; `keel db roles` and `keel doctor`
// are the applications' own commands (keel::cli), for a project whatever its models; so are the
// migrate verbs that need no models (autogenerate lives in the applications only).
#include <string>

#include <fmt/format.h>

#include <CLI/CLI.hpp>

#include <keel/cli/service.hpp>
#include <keel/core/log.hpp>
#include <keel/core/settings.hpp>
#include <keel/db/pool.hpp>
#include <keel/http/app.hpp>

#include "new_project.hpp"

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

int make_project(const keel::tool::new_project_options& options)
{
    try {
        const auto made = keel::tool::new_project(options);
        fmt::print("made {}: a keel service with an items API, its first migration, its tests and settings.\n"
                   "Its README says how to build, test and run it; in short:\n"
                   "  cd {}\n"
                   "  {} && cmake --build build -j && ctest --test-dir build --output-on-failure\n"
                   "  ./build/{} migrate upgrade && ./build/{} serve\n",
                   made.directory.string(), made.directory.string(), made.configure, options.name, options.name);
        return 0;
    } catch (const std::exception& e) {
        fmt::print(stderr, "keel: new: {}\n", e.what());
        return 1;
    }
}

}  // namespace

int main(int argc, char** argv)
{
    CLI::App cli{"keel: tools for keel applications", "keel"};
    cli.set_version_flag("--version", "keel " + std::string(keel::cli::keel_version()));
    cli.footer(keel::cli::settings_help(keel::cli::all_setting_values(service_settings{}, nullptr)));
    cli.require_subcommand(1);
    keel::tool::new_project_options project;
    auto* create = cli.add_subcommand("new", "Make a new service's project: models, routes, migrations, tests, settings");
    create->add_option("name", project.name, "The project's name: its directory, binary and C++ namespace")->required();
    create->add_option("--dir", project.directory, "Where to make it (default: ./NAME); must not exist");
    create->footer("");  // it reads no settings
    keel::cli::command_line args;
    keel::cli::add_check_command(cli, args);
    keel::cli::add_database_commands(cli, args);
    CLI11_PARSE(cli, argc, argv);
    return create->parsed() ? make_project(project) : run(args);
}
