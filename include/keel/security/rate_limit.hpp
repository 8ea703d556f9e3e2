#pragma once
// Per-route rate limits (GCRA), in process or shared through Redis, declared as a handler
// parameter like fastapi-limiter's `Depends(RateLimiter(times=5, minutes=1))`.
#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <boost/describe/class.hpp>

#include <keel/core/task.hpp>
#include <keel/http/depends.hpp>

namespace keel::security {

/// `times` requests per `period`. GCRA spaces them period/times apart and lets a client that
/// was quiet spend the whole `times` at once.
struct rate {
    std::uint32_t times = 0;
    std::chrono::milliseconds period{0};
};
constexpr rate per_minute(std::uint32_t times) { return rate{times, std::chrono::minutes(1)}; }

/// The outcome of counting one request, and what the RateLimit-* headers say about it.
struct rate_decision {
    bool allowed = true;
    std::uint32_t limit = 0;
    /// Requests still allowed right now after this one.
    std::uint32_t remaining = 0;
    /// Until the whole limit is available again.
    std::chrono::milliseconds reset_after{0};
    /// Until the next request would be allowed; zero when this one was.
    std::chrono::milliseconds retry_after{0};
};

/// What a limited route does when the limit's store (Redis) does not answer within
/// RATE_LIMIT_TIMEOUT: serve the request unlimited (`open`) or answer 503 (`closed`).
enum class failure_policy { open, closed };
/// Reads RATE_LIMIT_FAILURE: "open" or "closed".
failure_policy parse_setting(std::string_view text, std::type_identity<failure_policy>);
std::string format_setting(failure_policy value);

/// The proxies whose X-Forwarded-For is believed (TRUSTED_PROXIES): comma-separated addresses
/// and CIDR blocks, IPv4 or IPv6 ("10.0.0.0/8, 127.0.0.1, ::1").
class proxy_list {
public:
    proxy_list() = default;
    /// Throws std::invalid_argument naming the first entry that is not an address or a CIDR block.
    static proxy_list parse(std::string_view text);
    bool contains(std::string_view address) const;
    bool empty() const noexcept { return networks_.empty(); }
    /// The client's address: `peer`, or when `peer` is a listed proxy, the nearest address in
    /// X-Forwarded-For (read from the right) that is not one: proxies append the address they
    /// saw, so everything left of the first untrusted hop may be forged.
    std::string client_address(std::string_view peer, std::optional<std::string_view> forwarded_for) const;
    /// The text it was parsed from.
    const std::string& text() const noexcept { return text_; }

private:
    struct network {
        std::array<std::uint8_t, 16> bytes;  // IPv4 as IPv4-mapped IPv6
        unsigned prefix;
    };
    std::vector<network> networks_;
    std::string text_;
};
proxy_list parse_setting(std::string_view text, std::type_identity<proxy_list>);
inline std::string format_setting(const proxy_list& value) { return value.text(); }

/// Rate-limit settings; embedded in an application's settings struct they are read from
/// RATE_LIMIT_STORAGE, RATE_LIMIT_FAILURE, RATE_LIMIT_TIMEOUT, TRUSTED_PROXIES and LOGIN_RATE_LIMIT.
struct rate_limit_settings {
    /// "memory" (this process only) or "redis://host:port" (one limit across every instance
    /// using that Redis).
    std::string rate_limit_storage = "memory";
    failure_policy rate_limit_failure = failure_policy::open;
    /// The longest a request waits for Redis before the failure policy applies.
    std::chrono::milliseconds rate_limit_timeout{250};
    proxy_list trusted_proxies;
    /// Log-in attempts (POST /token) per minute per client address.
    std::uint32_t login_rate_limit = 5;
};
BOOST_DESCRIBE_STRUCT(rate_limit_settings, (),
                      (rate_limit_storage, rate_limit_failure, rate_limit_timeout, trusted_proxies, login_rate_limit))

namespace detail {
class rate_store;
}

/// What rate_limit_settings cannot be used with, each "NAME: expected …"; none when usable.
/// rate_limiter refuses them; cli::main reports them at start and in `check`.
std::vector<std::string> rate_limit_setting_problems(const rate_limit_settings& settings);

/// Counts requests per key against a rate, in this process or in Redis (RATE_LIMIT_STORAGE).
/// Provide one to the app (`app.provide(std::make_shared<rate_limiter>(settings))`) and declare
/// limits on routes with `rate_limit<Policy>`. Thread-safe. Redis is driven on the awaiting
/// coroutine's io_context (one connection per io_context), never blocking it.
class rate_limiter {
public:
    using clock = std::chrono::steady_clock;
    /// `now` is the in-process store's clock, replaceable for tests (Redis uses its own TIME).
    /// A Redis host name is resolved here, once. Throws keel::settings_error for a
    /// RATE_LIMIT_STORAGE that is neither "memory" nor a redis:// URL whose host resolves, a zero
    /// RATE_LIMIT_TIMEOUT or a zero LOGIN_RATE_LIMIT. Connects to nothing yet.
    explicit rate_limiter(const rate_limit_settings& settings, std::function<clock::time_point()> now = &clock::now);
    ~rate_limiter();
    rate_limiter(const rate_limiter&) = delete;
    rate_limiter& operator=(const rate_limiter&) = delete;

    /// Counts one request under `key`. nullopt when the store did not answer within
    /// RATE_LIMIT_TIMEOUT (logged, at most once a second); the caller applies failure().
    task<std::optional<rate_decision>> hit(std::string key, rate limit) const;

    const rate_limit_settings& settings() const noexcept { return settings_; }
    failure_policy failure() const noexcept { return settings_.rate_limit_failure; }

private:
    rate_limit_settings settings_;
    std::shared_ptr<detail::rate_store> store_;
};

/// A dependency: the client's address as rate_limiter's TRUSTED_PROXIES make it out (see
/// proxy_list::client_address). The default key of a rate_limit.
struct client_address {
    std::string value;
    static task<client_address> resolve(const http::request& request, const rate_limiter& limiter);
    std::string rate_limit_key() const { return "ip:" + value; }
};

namespace detail {
/// RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset (whole seconds, rounded up).
std::vector<std::pair<std::string, std::string>> rate_limit_headers(const rate_decision& decision);
/// Counts the request; throws http::error 429 (with Retry-After and the RateLimit-* headers) when
/// it is over the limit, or 503 when the store failed and the policy is `closed`. nullopt when the
/// store failed and the policy is `open`.
task<std::optional<rate_decision>> check_rate_limit(const rate_limiter& limiter, std::string key, rate limit);

template <class Policy>
concept fixed_rate = requires {
    { Policy::rate } -> std::convertible_to<rate>;
};
template <class Policy>
concept rate_policy = requires {
    { Policy::name } -> std::convertible_to<std::string_view>;
} && (fixed_rate<Policy> || requires { &Policy::rate; });
// The provided object a Policy's `static rate rate(const T&)` reads its rate from.
template <class F>
struct rate_source;
template <class T>
struct rate_source<rate (*)(const T&)> {
    using type = T;
};
// The dependency a Policy's keys come from: its `key`, or the client's address.
template <class Policy>
struct policy_key {
    using type = client_address;
};
template <class Policy>
    requires requires { typename Policy::key; }
struct policy_key<Policy> {
    using type = typename Policy::key;
};
}  // namespace detail

/// Declares a rate limit on a route: a handler parameter `security::rate_limit<Policy>` counts
/// each request against the limit before the parameters after it are resolved, answers 429 when
/// it is exceeded and adds the RateLimit-* headers to the route's successful responses. Policy says:
///   static constexpr std::string_view name = "login";                 // part of the key
///   static constexpr security::rate rate = security::per_minute(5);   // a fixed rate, or
///   static security::rate rate(const settings& s);                    // one read from a provided object
///   using key = client_address;   // optional: a dependency (static resolve) with a
///                                 // `std::string rate_limit_key() const`, e.g. the current user
/// Needs a rate_limiter provided to the app.
template <class Policy>
struct rate_limit {
    /// nullopt when the store did not answer and the policy let the request through.
    std::optional<rate_decision> decision;
};

/// The limit on log-in attempts (POST /token): LOGIN_RATE_LIMIT per minute per client address.
struct login_attempts {
    static constexpr std::string_view name = "login";
    static security::rate rate(const rate_limiter& limiter) { return per_minute(limiter.settings().login_rate_limit); }
};

}  // namespace keel::security

namespace keel::http {

template <class Policy>
struct resolver<security::rate_limit<Policy>> {
    static_assert(security::detail::rate_policy<Policy>,
                  "keel: a rate_limit policy needs `static constexpr std::string_view name` and either "
                  "`static constexpr security::rate rate` or `static security::rate rate(const T&)` for a provided T");
    using stored = security::rate_limit<Policy>;
    using key_type = typename security::detail::policy_key<Policy>::type;

    static void describe(handler_needs& needs)
    {
        needs.provided_object<security::rate_limiter>();
        needs.schema.add_response(429, "Too many requests: retry after the seconds Retry-After says");
        resolver<key_type>::describe(needs);
        if constexpr (!security::detail::fixed_rate<Policy>)
            needs.provided_object<typename security::detail::rate_source<decltype(&Policy::rate)>::type>();
    }

    static task<stored> resolve(request_context& ctx)
    {
        const auto* limiter = co_await resolver<const security::rate_limiter&>::resolve(ctx);
        auto key = co_await resolver<key_type>::resolve(ctx);
        if (!key)
            co_return stored{};  // an earlier parameter made the request a 422: nothing to count
        const security::rate limit = co_await rate_of(ctx);
        auto decision = co_await security::detail::check_rate_limit(
            *limiter, std::string(Policy::name) + ":" + key->rate_limit_key(), limit);
        if (decision)
            for (auto& header : security::detail::rate_limit_headers(*decision))
                ctx.response_headers.push_back(std::move(header));
        co_return stored{decision};
    }

private:
    static task<security::rate> rate_of(request_context& ctx)
    {
        if constexpr (security::detail::fixed_rate<Policy>) {
            co_return Policy::rate;
        } else {
            using source = typename security::detail::rate_source<decltype(&Policy::rate)>::type;
            const auto* object = co_await resolver<const source&>::resolve(ctx);
            co_return Policy::rate(*object);
        }
    }
};

}  // namespace keel::http
