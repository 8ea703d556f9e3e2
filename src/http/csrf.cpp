// Double-submit CSRF tokens and Origin checks (see csrf.hpp). A cross-site page can make a
// browser send the user's cookies, but can neither read them nor set a custom header without a
// CORS preflight the server allows: so a header equal to the cookie proves a same-site caller.
#include "http/csrf.hpp"

#include <keel/core/error.hpp>
#include <keel/http/request.hpp>

#include "core/ascii.hpp"
#include "http/error_map.hpp"

namespace keel::http::detail {

namespace {

// RFC 9110 9.2.1: the methods that change state.
bool unsafe(method m)
{
    return m == method::post || m == method::put || m == method::patch || m == method::delete_;
}

}  // namespace

std::optional<std::string_view> cookie_value(std::string_view cookie_header, std::string_view name)
{
    std::optional<std::string_view> found;
    while (!cookie_header.empty()) {
        const auto semicolon = cookie_header.find(';');
        const auto pair = keel::detail::trim(cookie_header.substr(0, semicolon));
        cookie_header = semicolon == std::string_view::npos ? std::string_view() : cookie_header.substr(semicolon + 1);
        const auto equals = pair.find('=');
        if (equals == std::string_view::npos || keel::detail::trim(pair.substr(0, equals)) != name)
            continue;
        if (found)
            return std::nullopt;
        auto value = keel::detail::trim(pair.substr(equals + 1));
        if (value.size() >= 2 && value.front() == '"' && value.back() == '"')  // RFC 6265 4.1.1: DQUOTE cookie-value
            value = value.substr(1, value.size() - 2);
        found = value;
    }
    return found;
}

bool constant_time_equal(std::string_view a, std::string_view b) noexcept
{
    if (a.size() != b.size())
        return false;
    unsigned char difference = 0;
    for (std::size_t i = 0; i < a.size(); ++i)
        difference |= static_cast<unsigned char>(a[i] ^ b[i]);
    return difference == 0;
}

csrf_policy::csrf_policy(const csrf& config)
    : trusted_(config.trusted_origins, "CSRF trusted origins"), cookie_name_(config.cookie_name),
      header_name_(config.header_name)
{
    if (trusted_.any())
        throw keel::error("CSRF trusted origins: \"*\" would trust every site; list the origins instead");
}

std::optional<response> csrf_policy::refuse(const request& req) const
{
    if (!unsafe(req.method()))
        return std::nullopt;
    const auto cookies = req.header("Cookie");
    if (!cookies)
        return std::nullopt;  // no ambient credentials for a forged request to ride on (a bearer token)
    if (const auto origin = req.header("Origin"); origin && trusted_.allows(*origin))
        return std::nullopt;
    const auto token = cookie_value(*cookies, cookie_name_);
    const auto echoed = req.header(header_name_);
    if (token && echoed && !token->empty() && constant_time_equal(*token, *echoed))
        return std::nullopt;
    return detail_response(403, "CSRF token missing or incorrect");
}

}  // namespace keel::http::detail
