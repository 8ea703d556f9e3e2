#pragma once
// What a route's declaration adds to the OpenAPI document beyond its handler's signature, as
// FastAPI's decorator arguments: `app.post("/users", create_user, {.summary = "Create a user",
// .tags = {"users"}, .responses = {{409, "Username already registered"}}})`.
#include <string>
#include <vector>

namespace keel::http {

/// A status the handler answers besides its success, with what it means; the body is documented
/// as an http::error's `{"detail": "…"}`.
struct documented_response {
    int status = 0;
    std::string description;
};

/// A route's documentation. Everything is optional: the handler's signature already says the
/// parameters, the body, the success status and its model, 422 and the security it needs.
struct route_doc {
    std::string summary;
    std::string description;
    std::vector<std::string> tags;
    /// Unique over the document; derived from the method and path ("get_users_id") when empty.
    std::string operation_id;
    std::vector<documented_response> responses;
    bool deprecated = false;
    /// False for routes that serve the documentation itself (/openapi.json, /docs).
    bool include_in_schema = true;
};

}  // namespace keel::http
