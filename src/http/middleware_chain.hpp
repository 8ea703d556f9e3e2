#pragma once
// The middleware an app was given (app.use), in the order DESIGN.md names: CORS, then CSRF.
// Absent altogether when none was configured, so a request then pays one null check.
#include <optional>

#include <keel/http/request.hpp>

#include "http/cors.hpp"
#include "http/csrf.hpp"

namespace keel::http::detail {

struct middleware_chain {
    std::optional<cors_policy> cors;
    std::optional<csrf_policy> csrf;

    /// The answer that ends `req` before routing: a CORS preflight's, or a CSRF refusal.
    std::optional<response> intercept(const request& req) const
    {
        if (cors)
            if (auto answer = cors->preflight(req))
                return answer;
        if (csrf)
            return csrf->refuse(req);
        return std::nullopt;
    }

    /// Adds what the response to `req` carries for the middleware (CORS headers); a preflight's
    /// answer is complete already.
    void finish(const request& req, response& out) const
    {
        if (cors && !cors_policy::is_preflight(req))
            cors->mark(req, out);
    }
};

}  // namespace keel::http::detail
