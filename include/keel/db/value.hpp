#pragma once
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <type_traits>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <keel/core/time.hpp>

namespace keel::db {

using blob = std::vector<unsigned char>;

/// One SQL value, as bound to a parameter or read from a column. std::nullptr_t is SQL NULL.
using value = std::variant<std::nullptr_t, bool, std::int64_t, double, std::string, blob, timestamp>;

// to_value turns a C++ argument into a bound parameter. Strings, integers, floating point, bool,
// blobs, timestamps and optionals (empty → NULL) bind directly; a type that converts to
// `const std::string&` or `std::int64_t` (such as keel::text and keel::integer) binds through it.
inline value to_value(std::nullptr_t) { return nullptr; }
inline value to_value(bool b) { return b; }
inline value to_value(std::int64_t i) { return i; }
/// Throws std::out_of_range for an unsigned value past INT64_MAX: SQL integers are signed 64-bit,
/// and a silent wrap would store a different number.
template <std::integral I>
    requires(!std::same_as<I, bool> && !std::same_as<I, std::int64_t> && !std::same_as<I, char>)
value to_value(I i)
{
    if constexpr (std::is_unsigned_v<I> && sizeof(I) >= sizeof(std::int64_t)) {
        if (i > static_cast<I>(std::numeric_limits<std::int64_t>::max()))
            throw std::out_of_range("keel::db: " + std::to_string(i) + " does not fit a 64-bit signed SQL integer");
    }
    return static_cast<std::int64_t>(i);
}
inline value to_value(double d) { return d; }
inline value to_value(const std::string& s) { return s; }
inline value to_value(std::string_view s) { return std::string(s); }
inline value to_value(const char* s) { return std::string(s); }
inline value to_value(const blob& b) { return b; }
inline value to_value(timestamp t) { return t; }
template <class T>
value to_value(const std::optional<T>& o) { return o ? to_value(*o) : value(nullptr); }

}  // namespace keel::db
