#pragma once
// Liveness and readiness for orchestrators (Kubernetes probes, load balancers):
//   GET /healthz  200 {"status":"ok"} while the process serves: restart it when this fails;
//   GET /readyz   200 {"status":"ok"} when the database answers a ping, else 503 {"detail":
//                 "Database unavailable"}: send it no traffic until this passes again.
// /readyz takes the db::pool provided to the app (app.provide): an app without one fails at start.
namespace keel::http {
class router;
}

namespace keel::ops {

/// Adds GET /healthz and GET /readyz to `api`, documented under the tag "health".
void add_health_routes(http::router& api);

}  // namespace keel::ops
