// The users service: `users-service [serve] [--host H] [--port P]` or `users-service openapi`,
// configured by the environment and .env (DATABASE_URL, HOST, PORT, …). Its schema comes from its
// migrations folder (`users-service migrate upgrade`, or MIGRATE_ON_START=true), never from start-up.
#include <keel/cli/service.hpp>
#include <keel/core/log.hpp>

#include "service.hpp"

int main(int argc, char** argv)
{
    return keel::cli::main<users::settings>(
        argc, argv, "users-service",
        {.routes = [](keel::http::app& app, const users::settings&) { users::add_routes(app); },
         .serve = [](keel::http::app& app, const users::settings& config) {
             keel::log::info("database: {}", config.database_url.redacted());
             auto database = keel::db::pool::open(config, config.threads);
             users::provide(app, config, std::move(database));
             app.run();
         },
         .models = keel::migrate::metadata::of<users::user>(),
         .version = "0.1.0"});
}
