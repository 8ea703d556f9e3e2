#include <keel/ops/health.hpp>

#include <boost/describe/class.hpp>

#include <keel/core/log.hpp>
#include <keel/db/errors.hpp>
#include <keel/db/pool.hpp>
#include <keel/http/error.hpp>
#include <keel/http/router.hpp>

namespace keel::ops {

namespace {

struct health_status {
    std::string status = "ok";
};
BOOST_DESCRIBE_STRUCT(health_status, (), (status))

task<health_status> healthz() { co_return health_status{}; }

task<health_status> readyz(const db::pool& database)
{
    try {
        co_await database.ping();
    } catch (const db::error& e) {
        log::warn("readiness check failed: {}", e.what());
        throw http::error(503, "Database unavailable");
    }
    co_return health_status{};
}

}  // namespace

void add_health_routes(http::router& api)
{
    api.get("/healthz", healthz, {.summary = "Liveness", .tags = {"health"}});
    api.get("/readyz", readyz,
            {.summary = "Readiness: the database answers", .tags = {"health"}, .responses = {{503, "Database unavailable"}}});
}

}  // namespace keel::ops
