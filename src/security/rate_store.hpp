#pragma once
// Where rate-limit state lives: this process's memory or a Redis shared by several instances.
// Both run the same GCRA; gcra() below is it, and the Redis script repeats it on the server.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <keel/core/task.hpp>
#include <keel/security/rate_limit.hpp>

namespace keel::security::detail {

/// GCRA's spacing of a rate in microseconds: one request per `interval`, `times` of them per
/// `period` (= interval × times, so that rounding never grants an extra request).
struct spacing {
    std::int64_t interval;
    std::int64_t period;
};
spacing spacing_of(rate limit);

/// A decision from GCRA's numbers (microseconds), as the in-process step and the Redis script give them.
rate_decision make_decision(bool allowed, std::uint32_t limit, std::int64_t remaining, std::int64_t reset_us,
                            std::int64_t retry_us);

struct gcra_step {
    rate_decision decision;
    std::int64_t tat;  // the key's theoretical arrival time from now on
};
/// One request at `now` against a key whose theoretical arrival time is `tat` (anything up to
/// `now` for a key not seen recently). Times in microseconds on any one clock.
gcra_step gcra(std::int64_t tat, std::int64_t now, rate limit);

class rate_store {
public:
    virtual ~rate_store() = default;
    /// Counts one request under `key`; nullopt when the store did not answer in time (logged).
    virtual task<std::optional<rate_decision>> hit(std::string key, rate limit) = 0;
};

std::shared_ptr<rate_store> make_memory_store(std::function<std::chrono::steady_clock::time_point()> now);

/// Where a redis:// URL points: redis://[:password@]host[:port][/db].
struct redis_address {
    std::string host;
    std::uint16_t port = 6379;
    std::string password;
    std::string database;  // empty: the server's default (0)
    std::string ip;        // the host resolved, once, by make_redis_store
};
/// nullopt when `url` is not a redis:// URL of that shape.
std::optional<redis_address> parse_redis_url(std::string_view url);

/// Each io_context gets its own connection, made at its first use and again after a failure;
/// a command has `timeout` to be answered, after which the connection is dropped and the hit is
/// nullopt. `policy` only words the log line. Resolves the host now (blocking, at start-up);
/// throws keel::settings_error when it does not resolve.
std::shared_ptr<rate_store> make_redis_store(redis_address address, std::chrono::milliseconds timeout,
                                             failure_policy policy);

}  // namespace keel::security::detail
