// CORS as Starlette's CORSMiddleware answers it (see cors.hpp).
#include "http/cors.hpp"

#include <algorithm>

#include <keel/core/error.hpp>
#include <keel/http/request.hpp>

#include "core/ascii.hpp"
#include "http/error_map.hpp"

namespace keel::http::detail {

namespace {

// Fetch standard, CORS-safelisted request-headers: always allowed (Starlette's SAFELISTED_HEADERS).
constexpr std::string_view safelisted_headers[] = {"accept", "accept-language", "content-language", "content-type"};

std::string lower(std::string_view text)
{
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(), keel::detail::ascii_lower);
    return out;
}

bool is_wildcard(const std::vector<std::string>& list)
{
    return std::find(list.begin(), list.end(), "*") != list.end();
}

// RFC 6454 6.2: an origin serialises as scheme "://" host [":" port], nothing after it.
bool is_origin(std::string_view text)
{
    const auto separator = text.find("://");
    if (separator == 0 || separator == std::string_view::npos)
        return false;
    const auto authority = text.substr(separator + 3);
    return keel::detail::is_uri_scheme(text.substr(0, separator)) && !authority.empty() && authority.back() != ':' &&
           authority.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789.-:[]") == std::string_view::npos;
}

std::string join(const std::vector<std::string>& items)
{
    std::string out;
    for (const auto& item : items)
        out.append(out.empty() ? "" : ", ").append(item);
    return out;
}

void check_tokens(const std::vector<std::string>& items, std::string_view what)
{
    for (const auto& item : items)
        if (item != "*" && !is_token(item))
            throw keel::error("CORS: '" + item + "' is not a valid " + std::string(what));
}

}  // namespace

bool is_token(std::string_view text)
{
    constexpr std::string_view specials = "!#$%&'*+-.^_`|~";
    return !text.empty() && std::all_of(text.begin(), text.end(), [&](unsigned char c) {
        return std::isalnum(c) || specials.find(static_cast<char>(c)) != std::string_view::npos;
    });
}

origin_list::origin_list(const std::vector<std::string>& origins, std::string_view setting)
{
    for (const auto& configured : origins) {
        std::string origin = lower(configured);
        if (origin == "*") {
            any_ = true;
            continue;
        }
        if (!is_origin(origin))
            throw keel::error(std::string(setting) + ": '" + configured +
                              "' is not an origin: expected scheme://host[:port] (no path, no trailing /) or *");
        exact_.push_back(std::move(origin));
    }
}

bool origin_list::allows(std::string_view origin) const
{
    return any_ || std::find(exact_.begin(), exact_.end(), origin) != exact_.end();
}

cors_policy::cors_policy(const cors& config)
    : origins_(config.origins, "CORS_ORIGINS"), methods_(config.methods), any_method_(is_wildcard(config.methods)),
      any_header_(is_wildcard(config.headers)), credentials_(config.credentials),
      max_age_(std::to_string(config.max_age.count()))
{
    if (credentials_ && origins_.any())
        throw keel::error("CORS: credentials with the origin \"*\" would let every site read responses with the "
                          "user's cookies; list the allowed origins (CORS_ORIGINS) instead");
    check_tokens(config.methods, "method (CORS_METHODS)");
    check_tokens(config.headers, "header name (CORS_HEADERS)");
    headers_.assign(std::begin(safelisted_headers), std::end(safelisted_headers));
    for (const auto& name : config.headers)
        if (name != "*")
            headers_.push_back(lower(name));
    std::sort(headers_.begin(), headers_.end());
    headers_.erase(std::unique(headers_.begin(), headers_.end()), headers_.end());
    allow_methods_ = join(methods_);
    allow_headers_ = join(headers_);
}

bool cors_policy::methods_allow(std::string_view method) const
{
    return is_token(method) && (any_method_ || std::find(methods_.begin(), methods_.end(), method) != methods_.end());
}

bool cors_policy::headers_allow(std::string_view requested) const
{
    bool allowed = true;
    for_each_list_element(requested, [&](std::string_view name) {
        allowed = allowed && is_token(name) &&
                  (any_header_ || std::any_of(headers_.begin(), headers_.end(),
                                              [&](const std::string& h) { return keel::detail::equals_ignoring_case(name, h); }));
    });
    return allowed;
}

bool cors_policy::is_preflight(const request& req)
{
    return req.method() == method::options && req.header("Origin") && req.header("Access-Control-Request-Method");
}

std::optional<response> cors_policy::preflight(const request& req) const
{
    if (!is_preflight(req))
        return std::nullopt;
    const auto origin = req.header("Origin");
    const auto requested_method = req.header("Access-Control-Request-Method");
    const auto requested_headers = req.header("Access-Control-Request-Headers").value_or("");
    std::string failures;
    for (auto [failed, what] : {std::pair{!origins_.allows(*origin), "origin"}, std::pair{!methods_allow(*requested_method), "method"},
                                std::pair{!headers_allow(requested_headers), "headers"}})
        if (failed)
            failures.append(failures.empty() ? "Disallowed CORS " : ", ").append(what);
    // Refused: none of the allow headers, so the browser blocks the actual request.
    response out = failures.empty() ? response::text(200, "OK") : detail_response(400, failures);
    if (!origins_.any())
        out.headers.emplace_back("Vary", "Origin");
    if (!failures.empty())
        return out;
    out.headers.emplace_back("Access-Control-Allow-Origin", origins_.any() ? "*" : std::string(*origin));
    // "*" is no wildcard on a credentialed request (Fetch): what was asked for is named instead.
    out.headers.emplace_back("Access-Control-Allow-Methods", any_method_ ? std::string(*requested_method) : allow_methods_);
    if (!any_header_)
        out.headers.emplace_back("Access-Control-Allow-Headers", allow_headers_);
    else if (!requested_headers.empty())
        out.headers.emplace_back("Access-Control-Allow-Headers", std::string(requested_headers));
    if (credentials_)
        out.headers.emplace_back("Access-Control-Allow-Credentials", "true");
    out.headers.emplace_back("Access-Control-Max-Age", max_age_);
    return out;
}

void cors_policy::mark(const request& req, response& out) const
{
    // A cache must not give one origin's answer to another (Fetch: CORS protocol and HTTP caches).
    if (!origins_.any())
        out.headers.emplace_back("Vary", "Origin");
    const auto origin = req.header("Origin");
    if (!origin || !origins_.allows(*origin))
        return;
    out.headers.emplace_back("Access-Control-Allow-Origin", origins_.any() ? "*" : std::string(*origin));
    if (credentials_)
        out.headers.emplace_back("Access-Control-Allow-Credentials", "true");
}

}  // namespace keel::http::detail

namespace keel::http {

http::cors cors_settings::cors() const
{
    const auto split = [](std::string_view list) {
        std::vector<std::string> items;
        detail::for_each_list_element(list, [&](std::string_view item) { items.emplace_back(item); });
        return items;
    };
    return http::cors{split(cors_origins), split(cors_methods), split(cors_headers), cors_credentials, cors_max_age};
}

}  // namespace keel::http
