#pragma once
#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <spdlog/spdlog.h>

namespace keel::log {

/// The spdlog level named "trace", "debug", "info", "warning" (or "warn"), "error", "critical" or
/// "off"; nullopt for anything else.
std::optional<spdlog::level::level_enum> parse_level(std::string_view name);

/// Sets the process-wide log level (a name parse_level accepts) and a line format with time, level
/// and thread. Throws keel::settings_error on a bad name.
void configure(std::string_view level);

using spdlog::critical;
using spdlog::debug;
using spdlog::error;
using spdlog::info;
using spdlog::warn;

/// Keeps a message that repeats (a failing accept(), a refused request) from flooding the log:
/// the first one is logged, then at most one per `interval`, followed by "(N similar messages
/// suppressed)". Keep one limiter per call site, as a static or a member:
///     static log::limiter accept_failures{std::chrono::seconds(1)};
///     accept_failures.warn("accept failed: {}", ec.message());
/// Thread-safe without a lock; a suppressed call costs a clock read and two atomic operations and
/// formats nothing.
class limiter {
public:
    using clock = std::chrono::steady_clock;

    /// `now` is the clock, replaceable for tests.
    explicit limiter(clock::duration interval, std::function<clock::time_point()> now = &clock::now);

    /// Whether a message may go out now; if so, how many were suppressed since the last one went.
    std::optional<std::size_t> admit();

    /// Logs at `level` if that level is enabled and admit() lets it through.
    template <class... Args>
    void log(spdlog::level::level_enum level, fmt::format_string<Args...> format, Args&&... args)
    {
        if (!spdlog::should_log(level))
            return;
        if (auto suppressed = admit())
            emit(level, fmt::format(format, std::forward<Args>(args)...), *suppressed);
    }
    template <class... Args>
    void warn(fmt::format_string<Args...> format, Args&&... args)
    {
        log(spdlog::level::warn, format, std::forward<Args>(args)...);
    }
    template <class... Args>
    void error(fmt::format_string<Args...> format, Args&&... args)
    {
        log(spdlog::level::err, format, std::forward<Args>(args)...);
    }

private:
    static void emit(spdlog::level::level_enum level, std::string message, std::size_t suppressed);

    clock::duration interval_;
    std::function<clock::time_point()> now_;
    std::atomic<clock::rep> next_;  // ticks since the clock's epoch before which messages are dropped
    std::atomic<std::size_t> suppressed_{0};
};

}  // namespace keel::log
