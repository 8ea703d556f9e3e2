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


// "<thread>-<count>": names a request in the access log and in error reports.
class request_id {
public:
    explicit request_id(request_number number)
    {
        char* end = std::to_chars(text_, text_ + 20, number.thread).ptr;
        *end++ = '-';
        end = std::to_chars(end, text_ + sizeof text_, number.count).ptr;
        length_ = static_cast<std::size_t>(end - text_);
    }
    std::string_view view() const { return {text_, length_}; }

private:
    char text_[48];
    std::size_t length_;
};

// The handler's path arguments, percent-decoded, as the request context takes them.
struct path_arguments {
    explicit path_arguments(const router::matched& route)
    {
        decoded.reserve(route.values.size());
        for (auto raw : route.values)
            decoded.push_back(detail::percent_decode(raw, false));
        values.assign(decoded.begin(), decoded.end());
    }
    std::vector<std::string> decoded;
    std::vector<std::string_view> values;
};

}  // namespace

// One coroutine for the way every request takes (its frame is the only one between the
// connection and the handler's); answers that need no handler and failures are functions of
// their own.
task<response> dispatcher::handle(connection& c, parsed_request& req)
{
    // Timing and the access log only when it is written: two clock reads per request otherwise.
    std::optional<std::chrono::steady_clock::time_point> started;
    if (spdlog::should_log(spdlog::level::info))
        started = std::chrono::steady_clock::now();
    const request_number number{c.w.index, ++c.w.requests};
    const request view(to_method(req.method), req.method_text(), req.target(), req.body, &req, c.peer_address);
    c.in_handler = true;
    c.timed_out = false;
    c.deadline = c.w.now + settings_.request_timeout;
    auto found = routes_.match(view.method(), view.path());
    std::optional<response> out = answer_without_handler(view, found);
    if (!out) {
        const auto& route = std::get<router::matched>(found);
        const path_arguments arguments(route);
        request_context ctx{view, arguments.values, *route.names, state_};
        std::exception_ptr failure;
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
        if (failure)
            out = co_await recover(c, ctx, number, *route.path_template, failure);
    }
    finish(c, view, *out, number, started);
    co_return std::move(*out);
}

std::optional<response> dispatcher::answer_without_handler(const request& view, const router::match_result& found) const
{
    if (middleware_)
        if (auto answer = middleware_->intercept(view))
            return answer;
    if (std::holds_alternative<router::not_found>(found))
        return detail::detail_response(404, "Not Found");
    if (auto* wrong = std::get_if<router::method_not_allowed>(&found)) {
        auto out = detail::detail_response(405, "Method Not Allowed");
        out.headers.emplace_back("Allow", wrong->allow);
        return out;
    }
    return std::nullopt;
}

void dispatcher::finish(connection& c, const request& view, response& out, request_number number,
                        std::optional<std::chrono::steady_clock::time_point> started) const
{
    if (middleware_)
        middleware_->finish(view, out);
    c.in_handler = false;
    c.deadline = clock::time_point::max();
    if (started) {
        const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - *started).count();
        // Path only: query strings and bodies can carry secrets.
        log::info("{} {} {} {} {:.2f}ms", request_id(number).view(), view.method_name(), view.path(), out.status, ms);
    }
}

// After the handler or the commit failed: the rollback, then the 504 (the request outlived its
// deadline) or the failure's mapped answer.
task<response> dispatcher::recover(connection& c, request_context& ctx, request_number number,
                                   std::string_view route, std::exception_ptr failure)
{
    const request_id id(number);
    const detail::request_site site{id.view(), ctx.request.method_name(), route};
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
        log::warn("[{}] 504: {} {} outlived REQUEST_TIMEOUT ({} ms); it was interrupted and rolled back", site.request_id,
                  site.method, ctx.request.path(), settings_.request_timeout.count());
        co_return detail::detail_response(504, "Request timed out");
    }
    auto answer = detail::error_response(failure, site);
    // What dependencies added (a rate limit's RateLimit-* headers) goes on an error answer too.
    for (auto& header : ctx.response_headers)
        answer.headers.push_back(std::move(header));
    co_return answer;
}

}  // namespace keel::http::detail
