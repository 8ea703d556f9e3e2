// From a parsed request to its response (see dispatch.hpp).
#include "http/dispatch.hpp"

#include <charconv>
#include <chrono>
#include <optional>
#include <variant>
#include <vector>

#include <boost/asio/this_coro.hpp>
#include <spdlog/spdlog.h>

#include <keel/core/log.hpp>
#include <keel/db/session.hpp>
#include <keel/http/app.hpp>

#include "http/connection.hpp"
#include "http/error_map.hpp"
#include "http/middleware_chain.hpp"
#include "http/percent.hpp"

namespace keel::http::detail {

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;

namespace {

method to_method(bhttp::verb v)
{
    switch (v) {
    case bhttp::verb::get: return method::get;
    case bhttp::verb::head: return method::head;
    case bhttp::verb::post: return method::post;
    case bhttp::verb::put: return method::put;
    case bhttp::verb::patch: return method::patch;
    case bhttp::verb::delete_: return method::delete_;
    case bhttp::verb::options: return method::options;
    default: return method::other;
    }
}

}  // namespace

task<response> dispatcher::handle(connection& c, parsed_request& req)
{
    // Timing and the access log only when it is written: two clock reads per request otherwise.
    const bool access_log = spdlog::should_log(spdlog::level::info);
    const auto started = access_log ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point{};
    char id_text[48];  // "<thread>-<count>"
    char* id_end = std::to_chars(id_text, id_text + 20, c.w.index).ptr;
    *id_end++ = '-';
    id_end = std::to_chars(id_end, id_text + sizeof id_text, ++c.w.requests).ptr;
    const std::string_view request_id(id_text, static_cast<std::size_t>(id_end - id_text));
    const request view(to_method(req.method), req.method_text(), req.target(), req.body, &req, c.peer_address);
    c.in_handler = true;
    c.timed_out = false;
    c.deadline = c.w.now + settings_.request_timeout;
    response out = co_await dispatch(c, view, request_id);
    if (middleware_)
        middleware_->finish(view, out);
    c.in_handler = false;
    c.deadline = clock::time_point::max();
    if (access_log) {
        const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
        // Path only: query strings and bodies can carry secrets.
        log::info("{} {} {} {} {:.2f}ms", request_id, view.method_name(), view.path(), out.status, ms);
    }
    co_return out;
}

task<response> dispatcher::dispatch(connection& c, const request& view, std::string_view request_id)
{
    if (middleware_)
        if (auto answer = middleware_->intercept(view))
            co_return std::move(*answer);
    auto found = routes_.match(view.method(), view.path());
    if (std::holds_alternative<router::not_found>(found))
        co_return detail::detail_response(404, "Not Found");
    if (auto* wrong = std::get_if<router::method_not_allowed>(&found)) {
        auto out = detail::detail_response(405, "Method Not Allowed");
        out.headers.emplace_back("Allow", wrong->allow);
        co_return out;
    }
    auto& route = std::get<router::matched>(found);
    std::vector<std::string> decoded;
    decoded.reserve(route.values.size());
    for (auto raw : route.values)
        decoded.push_back(detail::percent_decode(raw, false));
    std::vector<std::string_view> values(decoded.begin(), decoded.end());
    request_context ctx{view, values, *route.names, state_};

    const detail::request_site site{request_id, view.method_name(), *route.path_template};
    std::exception_ptr failure;
    std::optional<response> out;  // not a default response: its content type would be built for nothing
    try {
        out = co_await route.handler->call(ctx);
        if (ctx.session)
            co_await ctx.session->commit();  // before answering: a failed commit is the request's failure
    } catch (...) {
        failure = std::current_exception();
    }
    if (c.timed_out) {
        c.in_handler = false;
        co_await asio::this_coro::reset_cancellation_state();  // what follows must not be interrupted
    }
    if (!failure)
        co_return std::move(*out);
    if (ctx.session && ctx.session->in_transaction()) {
        std::exception_ptr rollback_failure;
        try {
            co_await ctx.session->rollback();
        } catch (...) {
            rollback_failure = std::current_exception();
        }
        if (rollback_failure)
            detail::error_response(rollback_failure, site);  // logs it; the first failure is the answer
    }
    if (c.timed_out) {
        log::warn("[{}] 504: {} {} outlived REQUEST_TIMEOUT ({} ms); it was interrupted and rolled back", request_id,
                  view.method_name(), view.path(), settings_.request_timeout.count());
        co_return detail::detail_response(504, "Request timed out");
    }
    auto answer = detail::error_response(failure, site);
    // What dependencies added (a rate limit's RateLimit-* headers) goes on an error answer too.
    for (auto& header : ctx.response_headers)
        answer.headers.push_back(std::move(header));
    co_return answer;
}

}  // namespace keel::http::detail
