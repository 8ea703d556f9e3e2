// `db roles` and `doctor`: the commands that need only the database settings, shared by every
// keel application's command line and the standalone keel tool.
#include <cstdio>
#include <filesystem>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <keel/cli/service.hpp>
#include <keel/db/pool.hpp>
#include <keel/http/app.hpp>
#include <keel/migrate/migrator.hpp>
#include <keel/ops/doctor.hpp>
#include <keel/ops/roles.hpp>

namespace keel::cli {

namespace {

struct doctor_settings {
    std::size_t instances = 1;
};
BOOST_DESCRIBE_STRUCT(doctor_settings, (), (instances))

doctor_settings load_doctor_settings(const environment& env)
{
    static const auto rules = setting_rules<doctor_settings>().at_least(&doctor_settings::instances, 1);
    return load_settings<doctor_settings>(env, rules);
}

/// `load(*env)`'s values (or, without env, those of Settings{}) added to `out`, or its problems
/// to `problems`.
template <class Settings>
void add_loaded(std::vector<setting_value>& out, std::vector<std::string>& problems, const environment* env,
                Settings (*load)(const environment&))
{
    try {
        auto values = setting_values(env ? load(*env) : Settings{});
        out.insert(out.end(), values.begin(), values.end());
    } catch (const settings_error& e) {
        problems.insert(problems.end(), e.problems().begin(), e.problems().end());
    }
}

void print_password_notes(const ops::role_settings& roles)
{
    for (auto [variable, role, password] : {std::tuple{"DB_OWNER_PASSWORD", &roles.db_owner_role, &roles.db_owner_password},
                                            std::tuple{"DB_APP_PASSWORD", &roles.db_app_role, &roles.db_app_password}})
        if (password->reveal().empty())
            fmt::print("-- {0} (or {0}_FILE) is not set: {1} keeps its password (a new role has none)\n", variable, *role);
}

int print_or_apply_roles(std::string_view name, const command_line& args, const environment& env,
                         const db::database_settings& database)
{
    if (database.database_url.kind() != db::backend::postgresql) {
        std::fprintf(stderr,
                     "%.*s: db roles: SQLite has no roles or grants; protect the database file instead (chmod 600, "
                     "owned by the service's user). DATABASE_URL must be a postgresql:// URL for this command.\n",
                     int(name.size()), name.data());
        return 2;
    }
    auto roles = ops::load_role_settings(env);
    if (args.owner_role)
        roles.db_owner_role = *args.owner_role;
    if (args.app_role)
        roles.db_app_role = *args.app_role;
    const auto display = args.show_passwords ? ops::password_display::shown : ops::password_display::redacted;
    std::vector<std::string> plan;
    try {
        plan = ops::role_plan(roles, database.database_url.database(), display);
    } catch (const std::invalid_argument& e) {
        std::fprintf(stderr, "%.*s: db roles: %s\n", int(name.size()), name.data(), e.what());
        return 2;
    }
    fmt::print("-- owner {} (runs migrations, owns schema {}); application role {} (rows only) on {}\n",
               roles.db_owner_role, roles.db_schema, roles.db_app_role, database.database_url.redacted());
    print_password_notes(roles);
    for (const auto& statement : plan)
        fmt::print("{};\n", statement);
    if (!args.apply)
        return 0;
    std::fflush(stdout);
    ops::apply_role_plan(database, roles);
    fmt::print("-- applied\n");
    return 0;
}

int examine_project(std::string_view name, const command_line& args, const environment& env,
                    const http::server_settings& server, const db::database_settings& database)
{
    std::error_code ec;
    if (!std::filesystem::is_directory(args.dir, ec)) {
        std::fprintf(stderr, "%.*s: doctor: %s is not a directory\n", int(name.size()), name.data(), args.dir.c_str());
        return 2;
    }
    auto deployed = ops::deployment{server.threads, load_doctor_settings(env).instances};
    if (args.instances)
        deployed.instances = *args.instances;
    const auto migrations = args.migrations_dir.value_or(load_migrate_settings(env).migrations_dir);
    const auto report = ops::run_doctor(args.dir, database, deployed, migrations);
    for (const auto& f : report.findings)
        fmt::print("{}", ops::format_finding(f));
    for (const auto& reason : report.skipped)
        fmt::print("skipped: {}\n", reason);
    fmt::print("{} finding(s)\n", report.findings.size());
    return report.has_errors() ? 1 : 0;
}

}  // namespace

void add_env_file_option(CLI::App& scope, command_line& out)
{
    scope
        .add_option_function<std::string>("--env-file",
                                           [&](const std::string& v) {
                                               out.env_file = v;
                                               out.env_file_given = true;
                                           },
                                           "Settings file read after the environment (must exist when given)")
        ->default_str(out.env_file);
}

std::vector<setting_value> database_command_settings(const environment* env)
{
    std::vector<setting_value> out;
    std::vector<std::string> problems;
    add_loaded(out, problems, env, &load_migrate_settings);
    add_loaded(out, problems, env, &ops::load_role_settings);
    add_loaded(out, problems, env, &load_doctor_settings);
    if (!problems.empty())
        throw settings_error(std::move(problems));
    return out;
}

void add_check_command(CLI::App& cli, command_line& out)
{
    auto* check = cli.add_subcommand("check", "Validate the settings (environment, then .env) and print them, secrets as ***");
    check->add_flag("--connect", out.connect, "Also open the database");
    check->callback([&] { out.command = "check"; });
    add_env_file_option(*check, out);
}

int run_check(std::string_view name, const std::vector<setting_value>& values, const db::database_settings* database,
              bool connect)
{
    for (const auto& [variable, value] : values)
        std::printf("%s=%s\n", variable.c_str(), value.c_str());
    if (!connect)
        return 0;
    if (!database) {
        std::fprintf(stderr, "%.*s: check --connect: this application has no database settings\n", int(name.size()), name.data());
        return 2;
    }
    try {
        auto pool = db::pool::open(*database);
        std::printf("database: reachable\n");
        return 0;
    } catch (...) {
        return report_startup_failure(name, std::current_exception());
    }
}

void add_database_commands(CLI::App& cli, command_line& out)
{
    auto* db = cli.add_subcommand("db", "Database administration");
    db->require_subcommand(1);
    auto* roles = db->add_subcommand("roles", "Print (or --apply) the SQL creating an owner role and a least-privilege application role");
    roles->add_flag("--apply", out.apply, "Run the plan on DATABASE_URL (connect as a superuser)");
    roles->add_flag("--show-passwords", out.show_passwords, "Print passwords in clear in the plan");
    roles->add_option_function<std::string>("--owner-role", [&](const std::string& v) { out.owner_role = v; },
                                            "The owner role (overrides DB_OWNER_ROLE; default keel_owner)");
    roles->add_option_function<std::string>("--app-role", [&](const std::string& v) { out.app_role = v; },
                                            "The application role (overrides DB_APP_ROLE; default keel_app)");
    roles->callback([&] { out.command = "db roles"; });
    add_env_file_option(*roles, out);
    auto* doctor = cli.add_subcommand("doctor", "Check the project and its database for known pitfalls; exit 1 on errors");
    doctor->add_option("--dir", out.dir, "The project directory")->capture_default_str();
    doctor->add_option_function<std::size_t>("--instances", [&](const std::size_t& v) { out.instances = v; },
                                             "Processes that share the database (overrides INSTANCES; default 1)")
        ->check(CLI::Range(std::size_t(1), std::size_t(100000)));
    doctor->callback([&] { out.command = "doctor"; });
    add_env_file_option(*doctor, out);
    add_migrate_commands(cli, out);
}

int run_database_command(std::string_view name, const command_line& args, const environment& env,
                         const http::server_settings& server, const db::database_settings& database)
{
    try {
        if (args.command == "db roles")
            return print_or_apply_roles(name, args, env, database);
        return examine_project(name, args, env, server, database);
    } catch (...) {
        return report_startup_failure(name, std::current_exception());
    }
}

}  // namespace keel::cli
