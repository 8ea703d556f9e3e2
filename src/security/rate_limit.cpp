#include <keel/security/rate_limit.hpp>

#include <algorithm>
#include <charconv>

#include <boost/asio/ip/address.hpp>

#include <keel/core/error.hpp>
#include <keel/core/settings.hpp>
#include <keel/http/error.hpp>

#include "core/ascii.hpp"
#include "security/rate_store.hpp"

namespace keel::security {

namespace {

// Every address as 16 bytes, IPv4 as IPv4-mapped IPv6, so one prefix match covers both families.
std::optional<std::array<std::uint8_t, 16>> address_bytes(std::string_view text)
{
    boost::system::error_code ec;
    auto address = boost::asio::ip::make_address(std::string(text), ec);
    if (ec)
        return std::nullopt;
    if (address.is_v4())
        return boost::asio::ip::make_address_v6(boost::asio::ip::v4_mapped, address.to_v4()).to_bytes();
    return address.to_v6().to_bytes();
}

bool in_network(const std::array<std::uint8_t, 16>& address, const std::array<std::uint8_t, 16>& network, unsigned prefix)
{
    for (unsigned bit = 0; bit < prefix; bit += 8) {
        const unsigned bits = std::min(8u, prefix - bit);
        const std::uint8_t mask = static_cast<std::uint8_t>(0xff << (8 - bits));
        if ((address[bit / 8] & mask) != (network[bit / 8] & mask))
            return false;
    }
    return true;
}

// "10.0.0.0/8", "::1/128" or a lone address: its bytes and its prefix length in the 128-bit form.
std::optional<std::pair<std::array<std::uint8_t, 16>, unsigned>> parse_network(std::string_view entry)
{
    const auto slash = entry.find('/');
    const std::string_view address = entry.substr(0, slash);
    const auto bytes = address_bytes(address);
    if (!bytes)
        return std::nullopt;
    const unsigned mapped = address.find(':') == std::string_view::npos ? 96 : 0;  // IPv4 sits in the last 32 bits
    if (slash == std::string_view::npos)
        return std::pair{*bytes, 128u};
    const std::string_view digits = entry.substr(slash + 1);
    unsigned prefix = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), prefix);
    if (digits.empty() || ec != std::errc{} || end != digits.data() + digits.size() || prefix > 128 - mapped)
        return std::nullopt;
    return std::pair{*bytes, prefix + mapped};
}

std::string whole_seconds(std::chrono::milliseconds d)
{
    return std::to_string((d.count() + 999) / 1000);  // RFC 9110 10.2.3: whole seconds, never early
}

}  // namespace

namespace {
constexpr setting_names<failure_policy, 2> failure_policy_names{{{"open", failure_policy::open}, {"closed", failure_policy::closed}}};
}

failure_policy parse_setting(std::string_view text, std::type_identity<failure_policy>)
{
    return parse_named_setting(text, failure_policy_names);
}

std::string format_setting(failure_policy value) { return format_named_setting(value, failure_policy_names); }

proxy_list proxy_list::parse(std::string_view text)
{
    proxy_list out;
    out.text_ = std::string(text);
    while (!text.empty()) {
        const auto comma = text.find(',');
        const std::string_view entry = keel::detail::trim(text.substr(0, comma));
        text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
        if (entry.empty())
            continue;
        const auto network = parse_network(entry);
        if (!network)
            throw std::invalid_argument("expected comma-separated IP addresses or CIDR blocks (10.0.0.0/8, ::1)");
        out.networks_.push_back({network->first, network->second});
    }
    return out;
}

proxy_list parse_setting(std::string_view text, std::type_identity<proxy_list>) { return proxy_list::parse(text); }

bool proxy_list::contains(std::string_view address) const
{
    const auto bytes = address_bytes(address);
    return bytes && std::any_of(networks_.begin(), networks_.end(),
                                [&](const network& n) { return in_network(*bytes, n.bytes, n.prefix); });
}

std::string proxy_list::client_address(std::string_view peer, std::optional<std::string_view> forwarded_for) const
{
    std::string client(peer);
    if (!forwarded_for || !contains(peer))
        return client;
    std::string_view hops = *forwarded_for;
    while (!hops.empty()) {
        const auto comma = hops.rfind(',');
        const std::string_view hop = keel::detail::trim(comma == std::string_view::npos ? hops : hops.substr(comma + 1));
        hops = comma == std::string_view::npos ? std::string_view{} : hops.substr(0, comma);
        boost::system::error_code ec;
        const auto address = boost::asio::ip::make_address(std::string(hop), ec);
        if (ec)
            break;  // not an address: the last trusted hop is the most we know
        client = address.to_string();
        if (!contains(client))
            break;
    }
    return client;
}

std::vector<std::string> rate_limit_setting_problems(const rate_limit_settings& settings)
{
    std::vector<std::string> problems;
    if (settings.rate_limit_storage != "memory" && !detail::parse_redis_url(settings.rate_limit_storage))
        problems.push_back("RATE_LIMIT_STORAGE: expected memory or redis://[:password@]host[:port][/db]");
    if (settings.rate_limit_timeout <= std::chrono::milliseconds(0))
        problems.push_back("RATE_LIMIT_TIMEOUT: expected a duration of at least 1ms");
    if (settings.login_rate_limit == 0)
        problems.push_back("LOGIN_RATE_LIMIT: expected an integer of at least 1");
    return problems;
}

rate_limiter::rate_limiter(const rate_limit_settings& settings, std::function<clock::time_point()> now)
    : settings_(settings)
{
    if (auto problems = rate_limit_setting_problems(settings); !problems.empty())
        throw settings_error(std::move(problems));
    auto redis = settings.rate_limit_storage == "memory" ? std::nullopt : detail::parse_redis_url(settings.rate_limit_storage);
    store_ = redis ? detail::make_redis_store(std::move(*redis), settings.rate_limit_timeout, settings.rate_limit_failure)
                   : detail::make_memory_store(std::move(now));
}

rate_limiter::~rate_limiter() = default;

task<std::optional<rate_decision>> rate_limiter::hit(std::string key, rate limit) const
{
    co_return co_await store_->hit(std::move(key), limit);
}

task<client_address> client_address::resolve(const http::request& request, const rate_limiter& limiter)
{
    co_return client_address{
        limiter.settings().trusted_proxies.client_address(request.peer_address(), request.header("X-Forwarded-For"))};
}

namespace detail {

std::vector<std::pair<std::string, std::string>> rate_limit_headers(const rate_decision& decision)
{
    return {{"RateLimit-Limit", std::to_string(decision.limit)},
            {"RateLimit-Remaining", std::to_string(decision.remaining)},
            {"RateLimit-Reset", whole_seconds(decision.reset_after)}};
}

task<std::optional<rate_decision>> check_rate_limit(const rate_limiter& limiter, std::string key, rate limit)
{
    auto decision = co_await limiter.hit(std::move(key), limit);
    if (!decision) {
        if (limiter.failure() == failure_policy::closed)
            throw http::error(503, "Rate limiting unavailable, retry later", {{"Retry-After", "1"}});
        co_return std::nullopt;
    }
    if (!decision->allowed) {
        auto headers = rate_limit_headers(*decision);
        const std::string retry_after = whole_seconds(decision->retry_after);
        headers.emplace_back("Retry-After", retry_after);
        throw http::error(429, "Too many requests, retry after " + retry_after + " seconds", std::move(headers));
    }
    co_return decision;
}

}  // namespace detail

}  // namespace keel::security
