#pragma once
// What a handler's signature says for its OpenAPI operation, recorded by the resolvers when its
// route is registered; keel/openapi turns it into the document.
#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/json/object.hpp>

#include <keel/http/route_doc.hpp>

namespace keel::model {
class schema_set;
}

namespace keel::http {

/// Writes a type's JSON Schema into a set of definitions (model::input_schema<T>, …); a function,
/// so that nothing is generated unless a document is asked for.
using schema_writer = boost::json::value (*)(model::schema_set&);

struct handler_schema {
    /// Each path<> parameter's schema, in order: the N-th is the route's N-th {name}.
    std::vector<schema_writer> path;
    /// One per query<T>: model::parameters_schema<T>, a property per parameter.
    std::vector<schema_writer> query;
    /// body<T> (application/json) or form<T> (application/x-www-form-urlencoded).
    struct request_body {
        schema_writer schema = nullptr;
        std::string media_type;
    };
    std::optional<request_body> body;
    /// The success: 200 with T, 201 with T for created<T>, 204 without a body for void; an
    /// http::response is a 200 whose body is not described (result stays null).
    int status = 200;
    schema_writer result = nullptr;
    /// Other statuses its inputs and dependencies answer (415 from a form, 401 from a bearer token).
    std::vector<documented_response> responses;
    /// Security schemes (name, OpenAPI Security Scheme Object); any one of them lets a request in.
    std::vector<std::pair<std::string, boost::json::object>> security;
    /// OAuth2 schemes whose tokenUrl is this route: its handler takes their token request form.
    std::vector<std::string> token_endpoint_of;

    /// Whether a request can fail binding (422): it has parameters or a body.
    bool validates_input() const noexcept { return !path.empty() || !query.empty() || body; }
    void add_response(int code, std::string description)
    {
        if (std::none_of(responses.begin(), responses.end(), [&](const auto& r) { return r.status == code; }))
            responses.push_back({code, std::move(description)});
    }
    void add_security(std::string scheme, boost::json::object definition)
    {
        if (std::none_of(security.begin(), security.end(), [&](const auto& s) { return s.first == scheme; }))
            security.emplace_back(std::move(scheme), std::move(definition));
    }
};

}  // namespace keel::http
