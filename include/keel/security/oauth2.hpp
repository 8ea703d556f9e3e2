#pragma once
// OAuth2's password flow (RFC 6749 4.3) with bearer tokens (RFC 6750), as FastAPI's
// OAuth2PasswordRequestForm and OAuth2PasswordBearer give it: the pieces a service's `POST /token`
// and its `current_user` dependency are made of.
#include <optional>
#include <string>

#include <boost/describe/class.hpp>

#include <keel/core/task.hpp>
#include <keel/http/error.hpp>
#include <keel/http/depends.hpp>
#include <keel/http/request.hpp>
#include <keel/http/response.hpp>
#include <keel/model/constraints.hpp>
#include <keel/security/jwt.hpp>

namespace keel::security {

/// The OpenAPI name of the OAuth2 password flow that bearer tokens come from.
inline constexpr const char* oauth2_password_scheme = "OAuth2PasswordBearer";

/// The token request's form (RFC 6749 4.3.2): take it as `http::form<password_request_form>`.
/// grant_type may be left out, but if sent it must be "password"; scope and the client fields
/// are read and not used. The route whose handler takes it is documented as the tokenUrl of
/// the OAuth2 password flow.
struct password_request_form {
    std::optional<text<8, 8, "^password$">> grant_type;
    std::string username;
    std::string password;
    std::optional<std::string> scope;
    std::optional<std::string> client_id;
    std::optional<std::string> client_secret;

    static void describe(http::handler_needs& needs) { needs.schema.token_endpoint_of.emplace_back(oauth2_password_scheme); }
};
BOOST_DESCRIBE_STRUCT(password_request_form, (), (grant_type, username, password, scope, client_id, client_secret))

/// The token endpoint's answer (RFC 6749 5.1).
struct token {
    std::string access_token;
    std::string token_type = "bearer";
};
BOOST_DESCRIBE_STRUCT(token, (), (access_token, token_type))

/// 200 {"access_token": access_token, "token_type": "bearer"} with `Cache-Control: no-store` and
/// `Pragma: no-cache`, so that no cache keeps the token.
http::with_headers<token> token_response(std::string access_token);

/// 401 with `WWW-Authenticate: Bearer` (RFC 6750 3) and `detail`.
http::error unauthorized(std::string detail);

/// A dependency: the verified claims of the request's `Authorization: Bearer <token>` (the scheme
/// in any case), checked by the provided jwt_signer. Without such a header the request is a 401
/// "Not authenticated"; with a token that is malformed, forged, signed by a retired key or
/// expired, a 401 "Could not validate credentials". Neither message says which.
/// A route taking it is documented as secured by the OAuth2 password flow or a bearer token
/// (either), with its 401.
struct bearer {
    token_claims claims;
    static task<bearer> resolve(const http::request& request, const jwt_signer& signer);
    static void describe(http::handler_needs& needs);
};

}  // namespace keel::security
