// The users service: `users-service [serve] [--host H] [--port P]`, configured by the environment
// and .env (DATABASE_URL, HOST, PORT, …).
#include <keel/cli/service.hpp>
#include <keel/core/log.hpp>

#include "service.hpp"

int main(int argc, char** argv)
{
    return keel::cli::main<users::settings>(argc, argv, "users-service", [](const users::settings& config) {
        keel::log::info("database: {}", config.database_url.redacted());
        auto database = keel::db::pool::open(config, config.threads);
        users::create_schema(database);
        users::make_app(config, std::move(database))->run();
    });
}
