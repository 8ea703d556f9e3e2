#include <keel/http/request.hpp>

#include "http/parsed_request.hpp"
#include "http/percent.hpp"

namespace keel::http {

request::request(http::method m, std::string_view method_name, std::string_view target, std::string_view body,
                 const void* native, std::string_view peer_address) noexcept
    : method_(m), method_name_(method_name), target_(target), body_(body), peer_address_(peer_address), native_(native)
{
    const auto q = target.find('?');
    path_ = target.substr(0, q);
    query_ = q == std::string_view::npos ? std::string_view() : target.substr(q + 1);
}

std::optional<std::string_view> request::header(std::string_view name) const
{
    return static_cast<const detail::parsed_request*>(native_)->find(name);
}

std::optional<std::string> request::query_param(std::string_view name) const
{
    std::string_view rest = query_;
    while (!rest.empty()) {
        auto amp = rest.find('&');
        auto pair = rest.substr(0, amp);
        rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
        auto eq = pair.find('=');
        auto key = pair.substr(0, eq);
        if (detail::percent_decode(key, true) == name)
            return detail::percent_decode(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1), true);
    }
    return std::nullopt;
}

}  // namespace keel::http
