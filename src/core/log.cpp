#include <keel/core/error.hpp>
#include <keel/core/log.hpp>

#include <limits>

#include <spdlog/sinks/stdout_color_sinks.h>

namespace keel::log {

std::optional<spdlog::level::level_enum> parse_level(std::string_view name)
{
    const std::string spdlog_name(name == "warning" ? "warn" : name);
    // from_str answers `off` for any name it does not know.
    const auto parsed = spdlog::level::from_str(spdlog_name);
    if (parsed == spdlog::level::off && spdlog_name != "off")
        return std::nullopt;
    return parsed;
}

void configure(std::string_view level)
{
    static const auto sink_logger = [] {
        auto logger = spdlog::stderr_color_mt("keel");
        spdlog::set_default_logger(logger);
        spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%-5l%$ [%t] %v");
        return logger;
    }();
    (void)sink_logger;
    const auto parsed = parse_level(level);
    if (!parsed)
        throw settings_error({"LOG_LEVEL: expected one of trace, debug, info, warning, error, critical, off"});
    spdlog::set_level(*parsed);
}

limiter::limiter(clock::duration interval, std::function<clock::time_point()> now)
    : interval_(interval), now_(std::move(now)), next_(std::numeric_limits<clock::rep>::min())
{
}

std::optional<std::size_t> limiter::admit()
{
    const auto now = now_().time_since_epoch().count();
    auto next = next_.load(std::memory_order_relaxed);
    // Of the callers that find the interval over, the one that moves `next_` on logs; the others
    // count as suppressed and are reported with the following message.
    if (now < next || !next_.compare_exchange_strong(next, now + interval_.count(), std::memory_order_relaxed)) {
        suppressed_.fetch_add(1, std::memory_order_relaxed);
        return std::nullopt;
    }
    return suppressed_.exchange(0, std::memory_order_relaxed);
}

void limiter::emit(spdlog::level::level_enum level, std::string message, std::size_t suppressed)
{
    if (suppressed > 0)
        message += fmt::format(" ({} similar message{} suppressed)", suppressed, suppressed == 1 ? "" : "s");
    spdlog::log(level, "{}", message);
}

}  // namespace keel::log
