#pragma once
#include <charconv>
#include <chrono>
#include <concepts>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

#include <boost/describe/members.hpp>
#include <boost/mp11/algorithm.hpp>

#include <keel/core/error.hpp>

namespace keel {

/// Parses the text of a `.env` file with python-dotenv's rules: `KEY=value` lines, `export KEY=...`,
/// `#` comments (a `#` inside a value starts a comment only after white space), single quotes
/// (literal), double quotes (escapes \n \t \" \\, may span lines), blank lines.
/// Throws keel::settings_error naming the line of the first malformed entry.
std::map<std::string, std::string> parse_dotenv(std::string_view text);

/// Where settings come from: the process environment, then a `.env` file. The environment wins.
class environment {
public:
    /// Reads `dotenv_path` if it exists (a missing file is fine, an unreadable or malformed one throws).
    explicit environment(const std::filesystem::path& dotenv_path = ".env");
    /// For tests and embedding: exactly these variables, nothing from the process.
    explicit environment(std::map<std::string, std::string> variables);

    std::optional<std::string> get(const std::string& name) const;

private:
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
}  // namespace detail

// parse_setting overloads turn the text of one variable into a typed value; a type of yours joins
// by declaring `T parse_setting(std::string_view, std::type_identity<T>)` in its namespace.
// They throw std::invalid_argument with a message saying what was expected.
inline std::string parse_setting(std::string_view text, std::type_identity<std::string>) { return std::string(text); }
inline bool parse_setting(std::string_view text, std::type_identity<bool>) { return detail::parse_bool_setting(text); }

template <std::integral I>
    requires(!std::same_as<I, bool>)
I parse_setting(std::string_view text, std::type_identity<I>)
{
    I out{};
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    if (ec != std::errc{} || end != text.data() + text.size())
        detail::throw_bad_setting("an integer");
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

/// Fills a described settings struct (BOOST_DESCRIBE_STRUCT, bases included) from `env`.
/// Each member `database_url` is read from the variable `DATABASE_URL`; a variable that is not set
/// keeps the member's default. Every invalid value is reported at once in one keel::settings_error.
template <class Settings>
Settings load_settings(const environment& env)
{
    namespace describe = boost::describe;
    Settings out{};
    std::vector<std::string> problems;
    using members = describe::describe_members<Settings, describe::mod_public | describe::mod_inherited>;
    boost::mp11::mp_for_each<members>([&](auto member) {
        auto& field = out.*member.pointer;
        const std::string name = detail::env_name(member.name);
        auto text = env.get(name);
        if (!text)
            return;
        try {
            field = parse_setting(*text, std::type_identity<std::remove_cvref_t<decltype(field)>>{});
        } catch (const std::exception& e) {
            problems.push_back(name + ": " + e.what());
        }
    });
    if (!problems.empty())
        throw settings_error(std::move(problems));
    return out;
}

}  // namespace keel
