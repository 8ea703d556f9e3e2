#include <keel/core/error.hpp>
#include <keel/core/log.hpp>

#include <spdlog/sinks/stdout_color_sinks.h>

namespace keel::log {

void configure(std::string_view level)
{
    static const auto sink_logger = [] {
        auto logger = spdlog::stderr_color_mt("keel");
        spdlog::set_default_logger(logger);
        spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%-5l%$ [%t] %v");
        return logger;
    }();
    (void)sink_logger;
    std::string name(level == "warning" ? "warn" : level);
    auto parsed = spdlog::level::from_str(name);
    if (parsed == spdlog::level::off && name != "off")
        throw settings_error({"LOG_LEVEL: expected one of trace, debug, info, warning, error, critical, off"});
    spdlog::set_level(parsed);
}

}  // namespace keel::log
