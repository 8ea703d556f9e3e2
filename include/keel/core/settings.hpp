#pragma once
#include <array>
#include <charconv>
#include <chrono>
#include <concepts>
#include <filesystem>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <boost/describe/members.hpp>
#include <boost/mp11/algorithm.hpp>

#include <keel/core/error.hpp>
#include <keel/core/secret_names.hpp>
#include <keel/core/setting_rules.hpp>
#include <keel/core/time.hpp>

namespace keel {

/// Parses the text of a `.env` file with python-dotenv's rules: `KEY=value` lines, `export KEY=...`,
/// `#` comments (a `#` inside a value starts a comment only after white space), single quotes
/// (literal), double quotes (escapes \n \t \" \\, may span lines), blank lines.
/// Throws keel::settings_error naming the line of the first malformed entry.
std::map<std::string, std::string> parse_dotenv(std::string_view text);

/// Whether a missing settings file is an error: the default `.env` may be absent, a file the user
/// named (`--env-file FILE`) may not.
enum class dotenv_file { optional, required };

/// Where settings come from: the process environment, then a `.env` file. The environment wins.
/// Any variable NAME may instead be given as NAME_FILE, the path of a file holding its value
/// (Docker and Kubernetes secrets); trailing newlines are stripped from what the file holds.
class environment {
public:
    /// Reads `dotenv_path`. A missing file is fine when `presence` is optional; otherwise, and for an
    /// unreadable or malformed file, throws keel::settings_error naming the file.
    explicit environment(const std::filesystem::path& dotenv_path = ".env",
                         dotenv_file presence = dotenv_file::optional);
    /// For tests and embedding: exactly these variables, nothing from the process.
    explicit environment(std::map<std::string, std::string> variables);

    /// NAME's value, from NAME or from the file NAME_FILE names; nullopt when neither is set.
    /// Throws keel::settings_error when both are set or the file cannot be read (naming the path,
    /// never a value).
    std::optional<std::string> get(const std::string& name) const;

private:
    std::optional<std::string> lookup(const std::string& name) const;

    std::map<std::string, std::string> dotenv_;
    bool use_process_ = true;
};

/// A value that is never shown: formatting or logging it prints `***`.
template <class T = std::string>
class secret {
public:
    secret() = default;
    explicit secret(T value) : value_(std::move(value)) {}
    const T& reveal() const noexcept { return value_; }

private:
    T value_{};
};

namespace detail {
[[noreturn]] void throw_bad_setting(std::string_view expected);
bool parse_bool_setting(std::string_view text);
std::chrono::milliseconds parse_duration_setting(std::string_view text);
std::string env_name(std::string_view member);

template <std::integral I>
std::string integer_expectation()
{
    using limits = std::numeric_limits<I>;
    // The range is spelled out where it is short enough to be useful (PORT: 0 to 65535).
    if constexpr (limits::digits <= 16)
        return "an integer from " + std::to_string(limits::min()) + " to " + std::to_string(limits::max());
    else
        return std::is_signed_v<I> ? "an integer" : "an integer of at least 0";
}
}  // namespace detail

// parse_setting overloads turn the text of one variable into a typed value; a type of yours joins
// by declaring `T parse_setting(std::string_view, std::type_identity<T>)` in its namespace.
// They throw std::invalid_argument with a message saying what was expected.
inline std::string parse_setting(std::string_view text, std::type_identity<std::string>) { return std::string(text); }
inline bool parse_setting(std::string_view text, std::type_identity<bool>) { return detail::parse_bool_setting(text); }
/// An ISO 8601 / RFC 3339 time, such as 2026-12-31T23:00:00Z (parse_iso8601).
timestamp parse_setting(std::string_view text, std::type_identity<timestamp>);

template <std::integral I>
    requires(!std::same_as<I, bool>)
I parse_setting(std::string_view text, std::type_identity<I>)
{
    I out{};
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    if (ec != std::errc{} || end != text.data() + text.size())
        detail::throw_bad_setting(detail::integer_expectation<I>());
    return out;
}

template <class Rep, class Period>
std::chrono::duration<Rep, Period> parse_setting(std::string_view text,
                                                 std::type_identity<std::chrono::duration<Rep, Period>>)
{
    return std::chrono::duration_cast<std::chrono::duration<Rep, Period>>(detail::parse_duration_setting(text));
}

template <class T>
secret<T> parse_setting(std::string_view text, std::type_identity<secret<T>>)
{
    return secret<T>(parse_setting(text, std::type_identity<T>{}));
}

template <class T>
std::optional<T> parse_setting(std::string_view text, std::type_identity<std::optional<T>>)
{
    return parse_setting(text, std::type_identity<T>{});
}

/// An enumeration's spellings in settings, one table for reading (parse_named_setting) and for
/// showing (format_named_setting) a value.
template <class E, std::size_t N>
using setting_names = std::array<std::pair<std::string_view, E>, N>;

/// The value `text` names in `names`; throws std::invalid_argument listing them otherwise.
template <class E, std::size_t N>
E parse_named_setting(std::string_view text, const setting_names<E, N>& names)
{
    std::string expected = "expected ";
    for (std::size_t i = 0; i < N; ++i) {
        if (text == names[i].first)
            return names[i].second;
        expected.append(i == 0 ? "" : i + 1 == N ? " or " : ", ").append(names[i].first);
    }
    throw std::invalid_argument(expected);
}

template <class E, std::size_t N>
std::string format_named_setting(E value, const setting_names<E, N>& names)
{
    for (const auto& [name, named] : names)
        if (named == value)
            return std::string(name);
    return std::to_string(static_cast<std::underlying_type_t<E>>(value));
}

// format_setting overloads show a value the way `check` and `--help` print it: in the syntax
// parse_setting reads, a secret as ***, and a URL's password as ***. A type of yours joins by
// declaring `std::string format_setting(const T&)` in its namespace.
/// The text itself, but for the password of a URL in it (redis://:pw@host), shown as ***.
std::string format_setting(const std::string& value);
inline std::string format_setting(bool value) { return value ? "true" : "false"; }
std::string format_setting(timestamp value);

template <std::integral I>
    requires(!std::same_as<I, bool>)
std::string format_setting(I value)
{
    return std::to_string(value);
}

template <class Rep, class Period>
std::string format_setting(std::chrono::duration<Rep, Period> value)
{
    return detail::format_duration_bound(std::chrono::duration_cast<std::chrono::milliseconds>(value));
}

/// *** when set; empty when it holds nothing (whether a secret is set is not itself a secret).
template <class T>
std::string format_setting(const secret<T>& value)
{
    return value.reveal() == T{} ? std::string() : std::string("***");
}

template <class T>
std::string format_setting(const std::optional<T>& value)
{
    return value ? format_setting(*value) : std::string();
}

/// One setting as `check` and `--help` show it.
struct setting_value {
    std::string variable;  // DATABASE_URL
    std::string value;     // formatted by format_setting: secrets and passwords as ***
};

/// Every setting of a described settings struct (bases first), by variable name, formatted.
template <class Settings>
std::vector<setting_value> setting_values(const Settings& settings)
{
    namespace describe = boost::describe;
    std::vector<setting_value> out;
    using members = describe::describe_members<Settings, describe::mod_public | describe::mod_inherited>;
    boost::mp11::mp_for_each<members>([&](auto member) {
        out.push_back({detail::env_name(member.name), format_setting(settings.*member.pointer)});
    });
    return out;
}

namespace detail {
// The first of `rules` (each for Settings or a base of it) on the field at `field`; with
// `only_broken`, the first such rule that `s` breaks.
template <class Settings, class... Bases>
const std::string* find_rule([[maybe_unused]] const Settings& s, [[maybe_unused]] const void* field,
                             [[maybe_unused]] bool only_broken, const setting_rules<Bases>&... rules)
{
    const std::string* found = nullptr;
    ((found = found ? found : rules.find(static_cast<const Bases&>(s), field, only_broken)), ...);
    return found;
}
}  // namespace detail

/// Fills a described settings struct (BOOST_DESCRIBE_STRUCT, bases included) from `env`.
/// Each member `database_url` is read from the variable `DATABASE_URL`; a variable that is not set
/// keeps the member's default. `rules` (for Settings or its bases) add limits to the fields.
/// Every invalid value is reported at once in one keel::settings_error; values are never echoed.
template <class Settings, class... Bases>
Settings load_settings(const environment& env, const setting_rules<Bases>&... rules)
{
    namespace describe = boost::describe;
    Settings out{};
    std::vector<std::string> problems;
    using members = describe::describe_members<Settings, describe::mod_public | describe::mod_inherited>;
    boost::mp11::mp_for_each<members>([&](auto member) {
        auto& field = out.*member.pointer;
        const std::string name = detail::env_name(member.name);
        std::optional<std::string> text;
        try {
            text = env.get(name);
        } catch (const settings_error& e) {  // NAME and NAME_FILE both set, an unreadable file
            problems.insert(problems.end(), e.problems().begin(), e.problems().end());
            return;
        }
        try {
            if (text)
                field = parse_setting(*text, std::type_identity<std::remove_cvref_t<decltype(field)>>{});
        } catch (const std::exception& e) {
            // A rule says more than the parser ("at least 1" rather than "an integer").
            const std::string* expected = detail::find_rule(out, &field, false, rules...);
            problems.push_back(name + ": " + (expected ? "expected " + *expected : std::string(e.what())));
            return;
        }
        if (const std::string* expected = detail::find_rule(out, &field, true, rules...))
            problems.push_back(name + ": expected " + *expected);
    });
    if (!problems.empty())
        throw settings_error(std::move(problems));
    return out;
}

}  // namespace keel
