#include <keel/security/oauth2.hpp>

#include "core/ascii.hpp"

#include <keel/model/json.hpp>

namespace keel::security {

namespace {

struct token_body {
    std::string access_token;
    std::string token_type = "bearer";
};
BOOST_DESCRIBE_STRUCT(token_body, (), (access_token, token_type))

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

http::response token_response(const std::string& access_token)
{
    http::response out{200, model::to_json_text(token_body{access_token}), "application/json", {}};
    // RFC 6749 5.1: the response carrying a token must not be cached.
    out.headers.emplace_back("Cache-Control", "no-store");
    out.headers.emplace_back("Pragma", "no-cache");
    return out;
}

http::error unauthorized(std::string detail)
{
    return http::error(401, std::move(detail), {{"WWW-Authenticate", "Bearer"}});
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
