#include <keel/cli/service.hpp>

#include <cctype>
#include <chrono>
#include <cstdio>
#include <filesystem>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <keel/db/pool.hpp>
#include <keel/http/app.hpp>
#include <keel/security/jwt.hpp>
#include <keel/security/rate_limit.hpp>

namespace keel::cli {

namespace {
using std::chrono::milliseconds;

// RFC 3986 unreserved characters only, so the URL is a literal route (no {name}, no escapes) that
// the docs page can name in its HTML and script without quoting.
bool plain_path_or_empty(const std::string& path)
{
    if (path.empty())
        return true;
    bool segment_start = false;
    for (const char c : path) {
        const bool unreserved = std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_' || c == '~';
        if (c == '/' ? segment_start : !unreserved)
            return false;
        segment_start = c == '/';
    }
    return path.front() == '/' && !segment_start;
}

bool servers_are_urls(const std::string& list)
{
    for (const auto& url : openapi::split_servers(list))
        if (!(url.starts_with("http://") || url.starts_with("https://")) || url.find(' ') != std::string::npos)
            return false;
    return true;
}
}  // namespace

std::string_view keel_version() { return KEEL_VERSION; }

std::vector<std::string> group_setting_problems(const security::token_settings* tokens, const security::rate_limit_settings* limits)
{
    std::vector<std::string> problems;
    if (tokens)
        problems = security::token_setting_problems(*tokens);
    if (limits)
        for (auto& problem : security::rate_limit_setting_problems(*limits))
            problems.push_back(std::move(problem));
    return problems;
}

std::string version_line(std::string_view name, std::string_view version)
{
    return fmt::format("{}{}{} (keel {})", name, version.empty() ? "" : " ", version, keel_version());
}

std::string settings_help(const std::vector<setting_value>& settings)
{
    std::string out = "\nSettings: each from its environment variable (or NAME_FILE, a file that holds the value), then from "
                      ".env, else the default shown:\n";
    for (const auto& [variable, value] : settings)
        out += fmt::format("  {}={}\n", variable, value);
    return out;
}

command_line parse_command_line(int argc, char** argv, std::string_view name, const program_text& text)
{
    command_line out;
    CLI::App cli{std::string(name) + ": a keel application", std::string(name)};
    cli.require_subcommand(0, 1);
    cli.set_version_flag("--version", version_line(name, text.version));
    if (!text.settings.empty())
        cli.footer(settings_help(text.settings));
    add_check_command(cli, out);
    auto* serve = cli.add_subcommand("serve", "Serve HTTP until SIGINT/SIGTERM (the default command)");
    auto* openapi = cli.add_subcommand("openapi", "Print the OpenAPI document (no database, no port)");
    openapi->callback([&] { out.command = "openapi"; });
    add_env_file_option(*openapi, out);
    add_database_commands(cli, out);
    for (auto* scope : {&cli, serve}) {
        scope->add_option_function<std::string>("--host", [&](const std::string& v) { out.host = v; },
                                                "Address to listen on (overrides HOST)");
        // Read as int so that 70000 gets CLI11's range message rather than a conversion error.
        scope->add_option_function<int>("--port", [&](const int& v) { out.port = static_cast<std::uint16_t>(v); },
                                        "Port to listen on, 0 for any free one (overrides PORT)")
            ->check(CLI::Range(0, 65535));
        add_env_file_option(*scope, out);
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

environment command_line_environment(const command_line& args)
{
    if (args.command == "doctor" && !args.env_file_given)  // the settings of the project it examines
        return environment(std::filesystem::path(args.dir) / args.env_file, dotenv_file::optional);
    return environment(args.env_file, args.env_file_given ? dotenv_file::required : dotenv_file::optional);
}

// Zero keeps its documented meaning where it has one (THREADS=0: one per core, STATEMENT_TIMEOUT=0:
// no limit, POOL_RECYCLE=0: never); a zero that would make every request fail at once (a read
// timeout, a pool of no connections) is refused here instead of surfacing as 503s later. THREADS is
// capped because each one is an OS thread with its own io_context and pool lane: 100000 is a typo.
const setting_rules<http::server_settings>& server_setting_rules()
{
    using s = http::server_settings;
    static const auto rules = setting_rules<s>()
                                  .between(&s::threads, 0, 1024)
                                  .at_least(&s::max_body_size, 1)
                                  .at_least(&s::max_header_size, 1)
                                  .at_least(&s::read_timeout, milliseconds(1))
                                  .at_least(&s::request_timeout, milliseconds(1))
                                  .at_least(&s::keep_alive_timeout, milliseconds(1))
                                  .at_least(&s::max_concurrent_requests, 1)
                                  .require(&s::log_level, [](const std::string& v) { return log::parse_level(v).has_value(); },
                                           "one of trace, debug, info, warning, error, critical, off");
    return rules;
}

const setting_rules<openapi::openapi_settings>& openapi_setting_rules()
{
    using s = openapi::openapi_settings;
    constexpr const char* a_path = "a path such as /openapi.json: /-separated segments of letters, digits, -._~ (or empty: off)";
    static const auto rules = setting_rules<s>()
                                  .require(&s::openapi_url, plain_path_or_empty, a_path)
                                  .require(&s::docs_url, plain_path_or_empty, a_path)
                                  .require(&s::api_servers, servers_are_urls, "comma-separated http:// or https:// URLs");
    return rules;
}

int print_openapi(const http::router& app, const openapi::openapi_settings& settings)
{
    const std::string text = openapi::document_text(app, settings, openapi::layout::indented);
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fputc('\n', stdout);
    return std::fflush(stdout) == 0 ? 0 : 1;
}

const setting_rules<db::database_settings>& database_setting_rules()
{
    using s = db::database_settings;
    static const auto rules = setting_rules<s>()
                                  .at_least(&s::pool_size, 1)
                                  .at_least(&s::pool_timeout, milliseconds(1))
                                  .at_least(&s::connect_timeout, milliseconds(1))
                                  .at_least(&s::keepalives_count, 0);
    return rules;
}

}  // namespace keel::cli
