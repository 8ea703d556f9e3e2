// Fuzz target: the CORS header parsing (src/http/cors.hpp). The input's first line is a request's
// Origin, its second Access-Control-Request-Method, the rest Access-Control-Request-Headers; a
// preflight made of them is answered by a fixed policy, and the answer must allow exactly what
// the policy lists. The whole input is also split as a header list and tried as a configured origin.
#include <algorithm>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <keel/core/error.hpp>
#include <keel/http/request.hpp>

#include "check.hpp"
#include "http/cors.hpp"
#include "http/parsed_request.hpp"

namespace {

using keel::fuzz::check;
namespace detail = keel::http::detail;

constexpr std::string_view allowed_origin = "https://allowed.example";
const std::vector<std::string> allowed_headers = {"accept", "accept-language", "content-language", "content-type", "x-token"};

std::string lower(std::string_view text)
{
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

std::vector<std::string_view> elements(std::string_view list)
{
    std::vector<std::string_view> out;
    detail::for_each_list_element(list, [&](std::string_view e) { out.push_back(e); });
    return out;
}

void check_list(std::string_view list)
{
    const auto parts = elements(list);
    std::string rejoined;
    for (auto part : parts) {
        check(!part.empty() && part.find(',') == std::string_view::npos, "an element is empty or holds a comma");
        check(part.front() != ' ' && part.front() != '\t' && part.back() != ' ' && part.back() != '\t', "an element is not trimmed");
        rejoined.append(rejoined.empty() ? "" : ",").append(part);
    }
    check(elements(rejoined) == parts, "splitting the joined elements gives other elements");
}

void check_configured(std::string_view origin)
{
    try {
        const detail::origin_list configured({std::string(origin)}, "CORS_ORIGINS");
        const std::string lowered = lower(origin);
        check(configured.allows(lowered), "a configured origin does not allow itself");
        check(configured.any() || !configured.allows(lowered + "."), "a configured origin allows a longer one");
    } catch (const keel::error&) {
        // not an origin: refused at start-up, which is all that is asked of it
    }
}

bool header_allowed(std::string_view name)
{
    return std::find(allowed_headers.begin(), allowed_headers.end(), lower(name)) != allowed_headers.end();
}

void check_preflight(std::string_view origin, std::string_view method, std::string_view headers)
{
    static const detail::cors_policy policy({.origins = {std::string(allowed_origin)}, .methods = {"GET", "PUT"}, .headers = {"X-Token"}});
    detail::parsed_request native;
    native.method = boost::beast::http::verb::options;
    native.add_field("Origin", origin);
    native.add_field("Access-Control-Request-Method", method);
    native.add_field("Access-Control-Request-Headers", headers);
    const keel::http::request req(keel::http::method::options, "OPTIONS", "/", {}, &native);
    const auto answer = policy.preflight(req);
    check(answer.has_value(), "a preflight was not answered");
    const auto parts = elements(headers);
    const bool should_allow = origin == allowed_origin && (method == "GET" || method == "PUT") &&
                              std::all_of(parts.begin(), parts.end(), header_allowed);
    check((answer->status == 200) == should_allow, "a preflight was answered against the policy", origin);
    const bool allows_origin = std::any_of(answer->headers.begin(), answer->headers.end(),
                                           [](const auto& h) { return h.first == "Access-Control-Allow-Origin"; });
    check(allows_origin == should_allow, "Access-Control-Allow-Origin on a refused preflight, or missing");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string_view in(reinterpret_cast<const char*>(data), size);
    check_list(in);
    check_configured(in);
    const auto first = in.find('\n');
    const auto second = first == std::string_view::npos ? first : in.find('\n', first + 1);
    if (second == std::string_view::npos)
        return 0;
    // RFC 9110 5.5: blanks around a field value are not part of it; Beast drops them too.
    const auto field_value = [](std::string_view line) {
        const auto start = line.find_first_not_of(" \t");
        return start == std::string_view::npos ? std::string_view() : line.substr(start, line.find_last_not_of(" \t") - start + 1);
    };
    const auto origin = field_value(in.substr(0, first)), method = field_value(in.substr(first + 1, second - first - 1)),
               headers = field_value(in.substr(second + 1));
    // Beast's parser refuses these in a field value before a request is handled.
    if (in.find_first_of(std::string_view("\r\0", 2)) == std::string_view::npos && headers.find('\n') == std::string_view::npos)
        check_preflight(origin, method, headers);
    return 0;
}
