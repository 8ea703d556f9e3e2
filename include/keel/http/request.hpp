#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace keel::http {

enum class method { get, head, post, put, patch, delete_, options, other };

/// The request a handler sees: a read-only view of the message the server parsed, valid while
/// the handler runs.
class request {
public:
    request(http::method m, std::string_view method_name, std::string_view target, std::string_view body,
            const void* native, std::string_view peer_address = {}) noexcept;

    http::method method() const noexcept { return method_; }
    std::string_view method_name() const noexcept { return method_name_; }
    /// The request target as sent: path and query string.
    std::string_view target() const noexcept { return target_; }
    /// The path part of the target, still percent-encoded.
    std::string_view path() const noexcept { return path_; }
    std::string_view query_string() const noexcept { return query_; }
    std::string_view body() const noexcept { return body_; }
    /// A header's value (case-insensitive name), or nullopt.
    std::optional<std::string_view> header(std::string_view name) const;
    /// The first value of a query parameter, percent-decoded, or nullopt.
    std::optional<std::string> query_param(std::string_view name) const;
    /// The IP address of the peer that sent the request ("127.0.0.1", "::1"): the client, or the
    /// proxy in front of keel. Empty when the server could not tell.
    std::string_view peer_address() const noexcept { return peer_address_; }

private:
    http::method method_;
    std::string_view method_name_, target_, path_, query_, body_, peer_address_;
    const void* native_;  // the server's parsed message, for header lookups
};

}  // namespace keel::http
