#include <keel/core/settings.hpp>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <optional>
#include <sstream>

#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>

#include "core/ascii.hpp"
#include "core/redact.hpp"

namespace keel {

settings_error::settings_error(std::vector<std::string> problems)
    : error([&] {
          std::string message = "invalid settings:";
          for (const auto& p : problems)
              message += "\n  " + p;
          return message;
      }()),
      problems_(std::move(problems))
{
}

namespace {

class dotenv_parser {
public:
    explicit dotenv_parser(std::string_view text) : text_(text) {}

    std::map<std::string, std::string> parse()
    {
        while (!at_end()) {
            skip_blank();
            if (at_end())
                break;
            if (peek() == '#' || peek() == '\n') {
                skip_line();
                continue;
            }
            parse_entry();
        }
        return std::move(values_);
    }

private:
    bool at_end() const { return pos_ >= text_.size(); }
    char peek() const { return text_[pos_]; }
    void skip_blank()
    {
        while (!at_end() && (peek() == ' ' || peek() == '\t' || peek() == '\r'))
            ++pos_;
    }
    void skip_line()
    {
        while (!at_end() && peek() != '\n')
            ++pos_;
        if (!at_end()) {
            ++pos_;
            ++line_;
        }
    }
    [[noreturn]] void fail(std::string_view what) const
    {
        throw settings_error({".env line " + std::to_string(line_) + ": " + std::string(what)});
    }

    void parse_entry()
    {
        if (text_.substr(pos_, 7) == "export " || text_.substr(pos_, 7) == "export\t") {
            pos_ += 7;
            skip_blank();
        }
        std::string key = parse_key();
        skip_blank();
        if (at_end() || peek() == '\n' || peek() == '#') {
            skip_line();  // python-dotenv: a bare KEY has no value; nothing to set
            return;
        }
        if (peek() != '=')
            fail("expected KEY=value");
        ++pos_;
        skip_blank();
        std::string value;
        if (!at_end() && peek() == '\'')
            value = parse_quoted();
        else if (!at_end() && peek() == '"')
            value = expand(parse_quoted());
        else
            value = expand(parse_unquoted());
        values_[key] = std::move(value);
    }

    std::string parse_key()
    {
        const auto start = pos_;
        while (!at_end() && (std::isalnum(static_cast<unsigned char>(peek())) || peek() == '_' || peek() == '.' || peek() == '-'))
            ++pos_;
        if (pos_ == start)
            fail("expected a variable name");
        return std::string(text_.substr(start, pos_ - start));
    }

    std::string parse_unquoted()
    {
        const auto start = pos_;
        std::size_t end = pos_;
        while (!at_end() && peek() != '\n') {
            // a '#' starts a comment only after white space, as in python-dotenv
            if (peek() == '#' && pos_ > start && (text_[pos_ - 1] == ' ' || text_[pos_ - 1] == '\t'))
                break;
            ++pos_;
            if (text_[pos_ - 1] != ' ' && text_[pos_ - 1] != '\t' && text_[pos_ - 1] != '\r')
                end = pos_;
        }
        std::string value(text_.substr(start, end - start));
        skip_line();
        return value;
    }

    // python-dotenv: single quotes are literal but for \' and \\; double quotes also take
    // \n \t \r \" escapes. Both may span lines.
    std::string parse_quoted()
    {
        const char quote = text_[pos_++];
        const auto opened_on = line_;
        std::string value;
        for (;;) {
            if (at_end()) {
                line_ = opened_on;
                fail(quote == '"' ? "unterminated double quote" : "unterminated single quote");
            }
            char c = text_[pos_++];
            if (c == quote)
                break;
            if (c == '\\' && !at_end()) {
                if (auto escaped = unescape(quote, peek())) {
                    value += *escaped;
                    ++pos_;
                    continue;
                }
            }
            if (c == '\n')
                ++line_;
            value += c;
        }
        finish_quoted_line();
        return value;
    }

    static std::optional<char> unescape(char quote, char c)
    {
        if (c == '\\' || c == '\'')
            return c;
        if (quote == '\'')
            return std::nullopt;
        switch (c) {
        case 'n': return '\n';
        case 't': return '\t';
        case 'r': return '\r';
        case '"': return '"';
        default: return std::nullopt;
        }
    }

    void finish_quoted_line()
    {
        skip_blank();
        if (!at_end() && peek() != '\n' && peek() != '#')
            fail("unexpected text after the closing quote");
        skip_line();
    }

    // python-dotenv interpolates ${NAME} and ${NAME:-default} from earlier entries and the process
    std::string expand(const std::string& raw) const
    {
        std::string out;
        for (std::size_t i = 0; i < raw.size(); ++i) {
            if (raw[i] != '$' || i + 1 >= raw.size() || raw[i + 1] != '{') {
                out += raw[i];
                continue;
            }
            auto close = raw.find('}', i + 2);
            if (close == std::string::npos) {
                out += raw.substr(i);
                break;
            }
            std::string name = raw.substr(i + 2, close - i - 2);
            std::string fallback;
            if (auto sep = name.find(":-"); sep != std::string::npos) {
                fallback = name.substr(sep + 2);
                name.resize(sep);
            }
            if (const char* env = std::getenv(name.c_str()))
                out += env;
            else if (auto it = values_.find(name); it != values_.end())
                out += it->second;
            else
                out += fallback;
            i = close;
        }
        return out;
    }

    std::string_view text_;
    std::size_t pos_ = 0;
    std::size_t line_ = 1;
    std::map<std::string, std::string> values_;
};

// The value NAME_FILE points to; the message names the path, never what the file holds.
std::string read_secret_file(const std::string& file_name, const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw settings_error({file_name + ": cannot read " + path + ": " + std::strerror(errno)});
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec))
        throw settings_error({file_name + ": cannot read " + path + ": it is a directory"});
    std::string value{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    if (in.bad())
        throw settings_error({file_name + ": cannot read " + path});
    return value;
}

}  // namespace

std::map<std::string, std::string> parse_dotenv(std::string_view text)
{
    return dotenv_parser(text).parse();
}

environment::environment(const std::filesystem::path& dotenv_path, dotenv_file presence)
{
    std::error_code ec;
    if (!std::filesystem::exists(dotenv_path, ec)) {
        // A file the user named and we cannot find must not quietly mean "all defaults".
        if (presence == dotenv_file::required)
            throw settings_error({"settings file " + dotenv_path.string() + " does not exist"});
        return;
    }
    std::ifstream in(dotenv_path, std::ios::binary);
    if (!in)
        throw settings_error({"cannot read settings file " + dotenv_path.string()});
    std::ostringstream text;
    text << in.rdbuf();
    dotenv_ = parse_dotenv(text.str());
}

environment::environment(std::map<std::string, std::string> variables)
    : dotenv_(std::move(variables)), use_process_(false)
{
}

std::optional<std::string> environment::get(const std::string& name) const
{
    const std::string file_name = name + "_FILE";
    auto direct = lookup(name);
    auto path = lookup(file_name);
    if (!path)
        return direct;
    if (direct)
        throw settings_error({name + " and " + file_name + " are both set: set one"});
    std::string value = read_secret_file(file_name, *path);
    // `echo secret > file` and editors end the file with a newline that is not part of the value.
    while (!value.empty() && (value.back() == '\n' || value.back() == '\r'))
        value.pop_back();
    return value;
}

std::optional<std::string> environment::lookup(const std::string& name) const
{
    if (use_process_)
        if (const char* value = std::getenv(name.c_str()))
            return std::string(value);
    if (auto it = dotenv_.find(name); it != dotenv_.end())
        return it->second;
    return std::nullopt;
}

timestamp parse_setting(std::string_view text, std::type_identity<timestamp>)
{
    if (auto t = parse_iso8601(text))
        return *t;
    detail::throw_bad_setting("a time such as 2026-12-31T23:00:00Z");
}

std::string format_setting(timestamp value) { return format_iso8601(value); }

// A plain string setting may hold any URL (a Redis, Sentry or webhook URL): everything between
// its scheme and its last @ (a password, or a token given as the user: also a password with an
// unescaped @ or / in it), its secret-looking parameters and its fragment are hidden.
std::string format_setting(const std::string& value)
{
    const auto scheme_end = value.find("://");
    if (scheme_end == std::string::npos)
        return value;
    std::string shown = value;
    if (const auto at = shown.rfind('@'); at != std::string::npos && at > scheme_end)
        shown = shown.substr(0, scheme_end + 3) + "***" + shown.substr(at);
    const auto uri = boost::urls::parse_uri(shown);
    if (!uri) {  // its parameters cannot be told apart (a space, a stray '%'): none is shown
        const auto rest = shown.find_first_of("?#", scheme_end);
        return rest == std::string::npos ? shown : shown.substr(0, rest + 1) + "***";
    }
    boost::urls::url redacted(*uri);
    detail::redact_secret_parameters(redacted.params());
    if (redacted.has_fragment() && !redacted.encoded_fragment().empty())  // no client sends one; a token may hide there
        redacted.set_encoded_fragment("***");
    return std::string(redacted.buffer());
}

bool is_secret_parameter(std::string_view name)
{
    const std::string lower = keel::detail::ascii_lowered(name);
    for (std::string_view part : {"password", "passwd", "secret", "token", "credential"})
        if (lower.find(part) != std::string::npos)
            return true;
    // Short words only as whole words (split at anything but letters and digits), "key" also at a
    // word's end (apikey, sslkey): keepalives, keyword, passfile and bypass stay visible.
    std::size_t start = 0;
    while (start <= lower.size()) {
        auto end = std::find_if(lower.begin() + start, lower.end(), [](unsigned char c) { return !std::isalnum(c); });
        const std::string_view word(lower.data() + start, static_cast<std::size_t>(end - lower.begin()) - start);
        if (word == "pass" || word == "pwd" || word.ends_with("key"))
            return true;
        start = static_cast<std::size_t>(end - lower.begin()) + 1;
    }
    return false;
}

namespace detail {

void redact_secret_parameters(boost::urls::params_ref params)
{
    // Boost.URL 1.81 reads past the end iterating the params of an empty query before a fragment
    // ("x?#"): an empty query has none (found by tests/fuzz/database_url).
    if (params.buffer().empty())
        return;
    for (auto it = params.begin(); it != params.end(); ++it)
        if ((*it).has_value && is_secret_parameter((*it).key))
            it = params.set(it, "***");
}

}  // namespace detail

namespace detail {

void throw_bad_setting(std::string_view expected)
{
    // The value itself is never echoed: it may be a secret.
    throw std::invalid_argument("expected " + std::string(expected));
}

bool parse_bool_setting(std::string_view text)
{
    const auto is = [text](std::string_view word) { return keel::detail::equals_ignoring_case(text, word); };
    if (is("1") || is("true") || is("yes") || is("on"))
        return true;
    if (is("0") || is("false") || is("no") || is("off"))
        return false;
    throw_bad_setting("a boolean (true/false, 1/0, yes/no, on/off)");
}

std::chrono::milliseconds parse_duration_setting(std::string_view text)
{
    double amount = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), amount);
    if (ec != std::errc{} || amount < 0)
        throw_bad_setting("a duration such as 30, 30s, 500ms or 2m");
    std::string_view unit(end, text.data() + text.size() - end);
    double ms = 0;
    if (unit.empty() || unit == "s")
        ms = amount * 1000;
    else if (unit == "ms")
        ms = amount;
    else if (unit == "m" || unit == "min")
        ms = amount * 60'000;
    else if (unit == "h")
        ms = amount * 3'600'000;
    else
        throw_bad_setting("a duration such as 30, 30s, 500ms or 2m");
    return std::chrono::milliseconds(static_cast<std::int64_t>(ms));
}

std::string format_duration_bound(std::chrono::milliseconds value)
{
    // The largest unit that shows the value exactly, in the syntax parse_duration_setting reads.
    if (value.count() == 0)
        return "0";
    constexpr std::pair<std::int64_t, const char*> units[] = {{3'600'000, "h"}, {60'000, "m"}, {1'000, "s"}};
    for (const auto& [ms, suffix] : units)
        if (value.count() % ms == 0)
            return std::to_string(value.count() / ms) + suffix;
    return std::to_string(value.count()) + "ms";
}

std::string env_name(std::string_view member)
{
    std::string name;
    for (char c : member)
        name += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return name;
}

}  // namespace detail
}  // namespace keel
