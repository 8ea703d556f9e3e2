#pragma once
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace keel {

/// A point in time in UTC with microsecond precision (PostgreSQL's timestamptz resolution).
using timestamp = std::chrono::sys_time<std::chrono::microseconds>;

/// "2026-11-25T01:28:03.123456Z" (fraction omitted when zero): ISO 8601 / RFC 3339, always UTC.
std::string format_iso8601(timestamp t);

/// Accepts RFC 3339 and the forms SQLite and PostgreSQL print: a 'T' or a space between date and
/// time, optional fraction, and 'Z', '+hh', '+hh:mm', '+hhmm' or no offset (taken as UTC).
std::optional<timestamp> parse_iso8601(std::string_view text);

}  // namespace keel
