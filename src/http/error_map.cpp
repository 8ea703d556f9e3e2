#include "http/error_map.hpp"

#include <typeinfo>

#include <boost/core/demangle.hpp>
#include <boost/json/value.hpp>

#include <keel/core/log.hpp>
#include <keel/db/errors.hpp>
#include <keel/http/error.hpp>
#include <keel/model/validate.hpp>

namespace keel::http::detail {

response detail_response(int status, std::string_view detail)
{
    return response::json(status, boost::json::object{{"detail", detail}});
}

namespace {
// The database could not serve the request now; the client may retry.
response unavailable(std::string_view request_id, const std::exception& e, std::string_view detail)
{
    log::warn("[{}] 503: {}", request_id, e.what());
    return detail_response(503, detail);
}
}  // namespace

response error_response(std::exception_ptr failure, const request_site& site)
{
    const auto request_id = site.request_id;
    try {
        std::rethrow_exception(failure);
    } catch (const http::error& e) {
        auto out = detail_response(e.status(), e.detail());
        out.headers = e.headers();
        return out;
    } catch (const model::validation_error& e) {
        return response::json(422, e.to_json());
    } catch (const db::pool_timeout& e) {
        return unavailable(request_id, e, "Database unavailable: no connection free in time, retry later");
    } catch (const db::connection_error& e) {
        return unavailable(request_id, e, "Database unavailable");
    } catch (const db::lock_timeout& e) {
        return unavailable(request_id, e, "Database busy, retry later");
    } catch (const db::statement_timeout& e) {
        return unavailable(request_id, e, "Database query timed out");
    } catch (const db::serialization_failure& e) {
        return unavailable(request_id, e, "Concurrent update conflict, retry the request");
    } catch (const keel::overloaded& e) {
        // Shedding comes in bursts: one log line per second says it, not one per refused request.
        static log::limiter shed_log{std::chrono::seconds(1)};
        shed_log.warn("[{}] 503: {}", request_id, e.what());
        auto out = detail_response(503, "Server busy, retry later");
        out.headers.emplace_back("Retry-After", std::to_string(e.retry_after().count()));
        return out;
    } catch (const std::exception& e) {
        // The message may carry internals: it goes to the log, never to the client.
        log::error("[{}] 500 {} {}: unhandled {}: {}", request_id, site.method, site.route,
                   boost::core::demangle(typeid(e).name()), e.what());
    } catch (...) {
        log::error("[{}] 500 {} {}: unhandled exception of a type not derived from std::exception", request_id,
                   site.method, site.route);
    }
    return detail_response(500, "Internal Server Error");
}

}  // namespace keel::http::detail
