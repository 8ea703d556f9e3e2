#pragma once
// CORS (Fetch standard, CORS protocol): origin matching, the header lists of a preflight, and
// the policy the server applies; configured once at start-up, read without locks afterwards.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <keel/http/middleware.hpp>
#include <keel/http/response.hpp>

namespace keel::http {
class request;
}

namespace keel::http::detail {

/// Calls `each` with every element of a comma-separated header list (RFC 9110 5.6.1), blanks
/// around it trimmed; empty elements are skipped.
template <class F>
void for_each_list_element(std::string_view list, F each)
{
    while (!list.empty()) {
        const auto comma = list.find(',');
        auto element = list.substr(0, comma);
        list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
        const auto first = element.find_first_not_of(" \t");
        if (first == std::string_view::npos)
            continue;
        element = element.substr(first, element.find_last_not_of(" \t") - first + 1);
        each(element);
    }
}

/// A token (RFC 9110 5.6.2): what a method or a header name must be.
bool is_token(std::string_view text);

/// Configured origins, matched exactly: a request's Origin is allowed only when it equals one of
/// them byte for byte, so "https://a.example.evil.example", "https://a.example." and
/// "HTTPS://A.EXAMPLE" are not "https://a.example".
class origin_list {
public:
    /// Throws keel::error naming `setting` for an entry that is not "*" or "scheme://host[:port]".
    origin_list(const std::vector<std::string>& origins, std::string_view setting);
    bool allows(std::string_view origin) const;
    bool any() const noexcept { return any_; }

private:
    std::vector<std::string> exact_;
    bool any_ = false;
};

class cors_policy {
public:
    /// Throws keel::error for a malformed origin, method or header, or credentials with "*".
    explicit cors_policy(const cors& config);
    /// An OPTIONS request with Origin and Access-Control-Request-Method.
    static bool is_preflight(const request& req);
    /// The answer to `req` when it is a preflight, which then goes no further.
    std::optional<response> preflight(const request& req) const;
    /// Adds the CORS headers to the response to `req` (not a preflight).
    void mark(const request& req, response& out) const;

private:
    bool methods_allow(std::string_view method) const;
    bool headers_allow(std::string_view requested) const;

    origin_list origins_;
    std::vector<std::string> methods_;
    std::vector<std::string> headers_;  // lower case, the safelisted ones included
    bool any_method_, any_header_, credentials_;
    std::string allow_methods_, allow_headers_, max_age_;  // the preflight's header values
};

}  // namespace keel::http::detail
