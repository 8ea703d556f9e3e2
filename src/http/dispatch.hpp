#pragma once
// From a parsed request to its response: routing, dependencies, the handler, the session's
// commit or rollback, the request deadline's 504 and the access log. Knows nothing of sockets.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <optional>

#include <keel/core/task.hpp>
#include <keel/http/response.hpp>
#include <keel/http/router.hpp>

#include "http/error_map.hpp"
#include "http/parsed_request.hpp"

namespace keel::http {
struct server_settings;
struct request_context;
class app_state;
class request;
}  // namespace keel::http

namespace keel::http::detail {

struct connection;
struct middleware_chain;

/// Which request of which I/O thread: spelled "<thread>-<count>" only when written, so that
/// dispatcher::handle's coroutine frame stays within Asio's frame cache (1020 bytes) and no
/// request allocates it.
struct request_number {
    std::size_t thread;
    std::uint64_t count;
};

class dispatcher {
public:
    dispatcher(const server_settings& settings, app_state& state, router& routes, const middleware_chain* middleware)
        : settings_(settings), state_(state), routes_(routes), middleware_(middleware)
    {
    }

    /// The response to `req`, which arrived on `c`. Never throws for what a handler does.
    task<response> handle(connection& c, parsed_request& req);

private:
    std::optional<response> answer_without_handler(const request& view, const router::match_result& found) const;
    /// The middleware's last word, the connection out of the handler, the access log line.
    void finish(connection& c, const request& view, response& out, request_number number,
                std::optional<std::chrono::steady_clock::time_point> started) const;
    task<response> recover(connection& c, request_context& ctx, request_number number, std::string_view route,
                           std::exception_ptr failure);

    const server_settings& settings_;
    app_state& state_;
    router& routes_;
    const middleware_chain* middleware_;  // null: none configured
};

}  // namespace keel::http::detail
