#pragma once
#include <chrono>
#include <string>
#include <vector>

#include <boost/describe/class.hpp>

namespace keel::http {

/// Cross-origin resource sharing (Fetch standard, CORS protocol), as Starlette's CORSMiddleware
/// does it; give it to `app.use`. A preflight (OPTIONS with Origin and
/// Access-Control-Request-Method) is answered before routing: 200 with the Access-Control-Allow-*
/// headers when origin, method and headers are allowed, otherwise 400 without them. Other
/// responses get Access-Control-Allow-Origin when their Origin is allowed, and `Vary: Origin`.
struct cors {
    /// "scheme://host[:port]" (lower-cased here, then matched byte for byte: a browser sends its
    /// origin in lower case), or "*" for every origin. "null" and paths are refused at start-up.
    std::vector<std::string> origins;
    /// Methods a preflight may ask for (case-sensitive), or "*".
    std::vector<std::string> methods = {"GET"};
    /// Request headers a preflight may ask for beyond the CORS-safelisted ones, or "*".
    std::vector<std::string> headers;
    /// Send Access-Control-Allow-Credentials: true. Refused with the origin "*".
    bool credentials = false;
    /// How long a browser may cache a preflight's answer (Access-Control-Max-Age).
    std::chrono::seconds max_age{600};
};

/// CORS read from the environment when embedded in the application's settings struct:
/// CORS_ORIGINS, CORS_METHODS and CORS_HEADERS are comma-separated lists.
struct cors_settings {
    std::string cors_origins;
    std::string cors_methods = "GET";
    std::string cors_headers;
    bool cors_credentials = false;
    std::chrono::seconds cors_max_age{600};

    /// The policy these settings describe, for `app.use`.
    http::cors cors() const;
};
BOOST_DESCRIBE_STRUCT(cors_settings, (), (cors_origins, cors_methods, cors_headers, cors_credentials, cors_max_age))

/// Cross-site request forgery protection for cookie-authenticated requests; give it to `app.use`.
/// A POST, PUT, PATCH or DELETE that carries a Cookie header is refused with 403 unless its
/// header `header_name` equals its cookie `cookie_name` (the double-submit token, compared in
/// constant time) or its Origin is one of `trusted_origins`. Requests without cookies (a bearer
/// token in Authorization) are not affected. Setting the cookie is the application's job.
struct csrf {
    /// Origins trusted to send unsafe requests, as in `cors::origins` (no "*"); list the site's own.
    std::vector<std::string> trusted_origins;
    std::string cookie_name = "csrftoken";
    std::string header_name = "X-CSRF-Token";
};

}  // namespace keel::http
