#pragma once
// From a parsed request to its response: routing, dependencies, the handler, the session's
// commit or rollback, the request deadline's 504 and the access log. Knows nothing of sockets.
#include <keel/core/task.hpp>
#include <keel/http/response.hpp>

#include "http/parsed_request.hpp"

namespace keel::http {
struct server_settings;
class app_state;
class router;
class request;
}  // namespace keel::http

namespace keel::http::detail {

struct connection;
struct middleware_chain;

class dispatcher {
public:
    dispatcher(const server_settings& settings, app_state& state, router& routes, const middleware_chain* middleware)
        : settings_(settings), state_(state), routes_(routes), middleware_(middleware)
    {
    }

    /// The response to `req`, which arrived on `c`. Never throws for what a handler does.
    task<response> handle(connection& c, parsed_request& req);

private:
    task<response> dispatch(connection& c, const request& view, std::string_view request_id);

    const server_settings& settings_;
    app_state& state_;
    router& routes_;
    const middleware_chain* middleware_;  // null: none configured
};

}  // namespace keel::http::detail
