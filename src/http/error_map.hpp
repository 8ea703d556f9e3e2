#pragma once
#include <exception>
#include <string_view>

#include <keel/http/response.hpp>

namespace keel::http::detail {

/// The one place where exceptions become HTTP responses:
///   http::error → its status and {"detail": …}; model::validation_error → 422 with the list;
///   db::pool_timeout, connection_error, lock_timeout, statement_timeout, serialization_failure → 503;
///   keel::overloaded (a full queue, e.g. the password hasher's) → 503 with Retry-After;
///   anything else → 500 {"detail":"Internal Server Error"}, logged with the request id, method,
///   route template, the exception's type and its message.
/// Where a failure happened, for the log line of a 500: what a person needs to find it.
struct request_site {
    std::string_view request_id;
    std::string_view method;
    std::string_view route;  // the path template ("/users/{id}")
};
response error_response(std::exception_ptr failure, const request_site& site);

/// {"detail": "<text>"} with the status.
response detail_response(int status, std::string_view detail);

}  // namespace keel::http::detail
