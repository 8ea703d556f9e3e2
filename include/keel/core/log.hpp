#pragma once
#include <string_view>

#include <spdlog/spdlog.h>

namespace keel::log {

/// Sets the process-wide log level ("trace", "debug", "info", "warning", "error", "critical",
/// "off") and a line format with time, level and thread. Throws keel::settings_error on a bad name.
void configure(std::string_view level);

using spdlog::critical;
using spdlog::debug;
using spdlog::error;
using spdlog::info;
using spdlog::warn;

}  // namespace keel::log
