#pragma once
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

namespace keel {

/// A string usable as a template argument: `keel::text<3, 32, "^[a-z]+$">`.
template <std::size_t N>
struct fixed_string {
    char chars[N]{};
    constexpr fixed_string(const char (&s)[N]) { std::copy_n(s, N, chars); }
    constexpr std::string_view view() const { return {chars, N - 1}; }
};

/// A string of Min..Max characters (Unicode code points, as pydantic counts) that, when Pattern
/// is not empty, contains a match of Pattern anywhere (search, as pydantic does: write ^ and $
/// to match the whole string). Checked when bound from a request (→ 422), length before pattern,
/// not on construction, so C++ code can build any value.
/// Pattern is RE2 syntax (RE2's "Syntax" page), matched over UTF-8 in time linear
/// in the input: Perl/ECMAScript classes, repetitions and groups, `(?i)` flags, `\p{L}`; no
/// backreferences and no lookaround. model::check_patterns<T>() reports a pattern that does not
/// compile at route registration.
template <std::size_t Min, std::size_t Max = std::numeric_limits<std::size_t>::max(), fixed_string Pattern = "">
class text {
public:
    static constexpr std::size_t min_length = Min;
    static constexpr std::size_t max_length = Max;
    static constexpr std::string_view pattern = Pattern.view();

    text() = default;
    text(std::string value) : value_(std::move(value)) {}
    text(const char* value) : value_(value) {}

    const std::string& str() const noexcept { return value_; }
    operator const std::string&() const noexcept { return value_; }
    const std::string* operator->() const noexcept { return &value_; }
    friend bool operator==(const text&, const text&) = default;

private:
    std::string value_;
};

/// A 64-bit integer in Min..Max, checked when bound from a request (→ 422).
template <std::int64_t Min = std::numeric_limits<std::int64_t>::min(),
          std::int64_t Max = std::numeric_limits<std::int64_t>::max()>
class integer {
public:
    static constexpr std::int64_t min_value = Min;
    static constexpr std::int64_t max_value = Max;

    constexpr integer(std::int64_t value = 0) noexcept : value_(value) {}
    constexpr operator std::int64_t() const noexcept { return value_; }
    constexpr std::int64_t get() const noexcept { return value_; }

private:
    std::int64_t value_;
};

}  // namespace keel
