#pragma once
// Cross-site request forgery protection (see keel/http/middleware.hpp: csrf).
#include <optional>
#include <string_view>

#include <keel/http/middleware.hpp>
#include <keel/http/response.hpp>

#include "http/cors.hpp"

namespace keel::http {
class request;
}

namespace keel::http::detail {

/// The value of the one cookie called `name` in a Cookie header (RFC 6265 4.2.1), or nullopt when
/// there is none or several (a sibling domain may have planted a second one).
std::optional<std::string_view> cookie_value(std::string_view cookie_header, std::string_view name);

/// Equality whose time depends on the lengths only, not on where the texts differ.
bool constant_time_equal(std::string_view a, std::string_view b) noexcept;

class csrf_policy {
public:
    /// Throws keel::error for a trusted origin that is "*" or malformed.
    explicit csrf_policy(const csrf& config);
    /// 403 for an unsafe request that carries a cookie but neither a matching token nor a
    /// trusted Origin; nullopt lets it through.
    std::optional<response> refuse(const request& req) const;

private:
    origin_list trusted_;
    std::string cookie_name_, header_name_;
};

}  // namespace keel::http::detail
