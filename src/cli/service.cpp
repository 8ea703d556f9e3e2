#include <keel/cli/service.hpp>

#include <cstdio>

#include <CLI/CLI.hpp>

namespace keel::cli {

command_line parse_command_line(int argc, char** argv, std::string_view name)
{
    command_line out;
    CLI::App cli{std::string(name) + ": a keel application", std::string(name)};
    cli.require_subcommand(0, 1);
    auto* serve = cli.add_subcommand("serve", "Serve HTTP until SIGINT/SIGTERM (the default command)");
    for (auto* scope : {&cli, serve}) {
        scope->add_option_function<std::string>("--host", [&](const std::string& v) { out.host = v; },
                                                "Address to listen on (overrides HOST)");
        scope->add_option_function<std::uint16_t>("--port", [&](const std::uint16_t& v) { out.port = v; },
                                                  "Port to listen on, 0 for any free one (overrides PORT)");
        scope->add_option("--env-file", out.env_file, "Settings file read after the environment")->capture_default_str();
    }
    try {
        cli.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        out.exit_code = cli.exit(e);
    }
    return out;
}

int report_startup_failure(std::string_view name, std::exception_ptr failure)
{
    try {
        std::rethrow_exception(failure);
    } catch (const settings_error& e) {
        std::fprintf(stderr, "%.*s: %s\n", int(name.size()), name.data(), e.what());
        return 2;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "%.*s: error: %s\n", int(name.size()), name.data(), e.what());
        return 1;
    }
}

}  // namespace keel::cli
