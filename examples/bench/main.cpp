// TechEmpower-style benchmark service: `bench-service [serve] [--host H] [--port P]`, or
// `bench-service seed` to create and fill its tables in DATABASE_URL.
#include <cstring>

#include <keel/cli/service.hpp>

#include "service.hpp"

namespace {
struct settings : keel::http::server_settings, keel::db::database_settings {};
BOOST_DESCRIBE_STRUCT(settings, (keel::http::server_settings, keel::db::database_settings), ())
}  // namespace

int main(int argc, char** argv)
{
    const bool seeding = argc > 1 && std::strcmp(argv[1], "seed") == 0;
    if (seeding)
        --argc, ++argv;  // the rest parses as for serve (--env-file)
    return keel::cli::main<settings>(
        argc, argv, "bench-service",
        {.routes = [](keel::http::app& app, const settings&) { tfb::add_routes(app); },
         .serve = [seeding](keel::http::app& app, const settings& config) {
             auto database = keel::db::pool::open(config, config.threads);
             if (seeding)
                 return tfb::seed(database);
             app.provide(std::move(database));
             app.run();
         }});
}
