// The users service: `users-service [serve] [--host H] [--port P]` or `users-service openapi`,
// configured by the environment and .env (DATABASE_URL, HOST, PORT, …).
#include <keel/cli/service.hpp>
#include <keel/core/log.hpp>

#include "service.hpp"

namespace {

// CREATE_SCHEMA=false: the table is the owner role's to create (`db roles`), and the service runs
// as an application role that may not (permission denied for schema public).
struct service_settings : users::settings {
    bool create_schema = true;
};
BOOST_DESCRIBE_STRUCT(service_settings, (users::settings), (create_schema))

}  // namespace

int main(int argc, char** argv)
{
    return keel::cli::main<service_settings>(
        argc, argv, "users-service",
        {.routes = [](keel::http::app& app, const service_settings&) { users::add_routes(app); },
         .serve = [](keel::http::app& app, const service_settings& config) {
             keel::log::info("database: {}", config.database_url.redacted());
             auto database = keel::db::pool::open(config, config.threads);
             if (config.create_schema)
                 users::create_schema(database);
             users::provide(app, config, std::move(database));
             app.run();
         },
         .models = keel::migrate::metadata::of<users::user>()});
}
