#include <keel/security/oauth2.hpp>

#include "core/ascii.hpp"

#include <keel/model/json.hpp>

namespace keel::security {

namespace {

// RFC 9110 11.1: the scheme is case-insensitive; then one or more spaces and the token68.
std::optional<std::string_view> bearer_token(std::string_view authorization)
{
    constexpr std::string_view scheme = "bearer";
    if (authorization.size() <= scheme.size() || !keel::detail::equals_ignoring_case(authorization.substr(0, scheme.size()), scheme))
        return std::nullopt;
    const std::string_view rest = authorization.substr(scheme.size());
    const auto start = rest.find_first_not_of(' ');
    if (rest.front() != ' ' || start == std::string_view::npos)
        return std::nullopt;
    return rest.substr(start);
}

}  // namespace

http::with_headers<token> token_response(std::string access_token)
{
    // RFC 6749 5.1: the response carrying a token must not be cached.
    return {token{std::move(access_token)}, {{"Cache-Control", "no-store"}, {"Pragma", "no-cache"}}};
}

http::error unauthorized(std::string detail)
{
    return http::error(401, std::move(detail), {{"WWW-Authenticate", "Bearer"}});
}

void bearer::describe(http::handler_needs& needs)
{
    // The tokenUrl is the path of the route that takes password_request_form (openapi fills it in).
    needs.schema.add_security(oauth2_password_scheme,
                              {{"type", "oauth2"}, {"flows", {{"password", {{"tokenUrl", ""}, {"scopes", boost::json::object{}}}}}}});
    needs.schema.add_security("HTTPBearer", {{"type", "http"}, {"scheme", "bearer"}, {"bearerFormat", "JWT"}});
    needs.schema.add_response(401, "Not authenticated, or the token is not valid");
}

task<bearer> bearer::resolve(const http::request& request, const jwt_signer& signer)
{
    const auto header = request.header("Authorization");
    const auto token = header ? bearer_token(*header) : std::nullopt;
    if (!token)
        throw unauthorized("Not authenticated");
    auto claims = signer.verify(*token);
    if (!claims)
        throw unauthorized("Could not validate credentials");
    co_return bearer{std::move(*claims)};
}

}  // namespace keel::security
