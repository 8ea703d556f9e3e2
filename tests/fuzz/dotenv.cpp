// Fuzz target: the .env parser (keel::parse_dotenv, python-dotenv's rules). Invariants: the only
// failure is keel::settings_error naming a line of the input; every key is a variable name; the
// parsed entries, written back single-quoted, parse to the same entries.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include <keel/core/settings.hpp>

#include "check.hpp"

namespace {

using keel::fuzz::check;

bool is_name(std::string_view key)
{
    return !key.empty() && std::all_of(key.begin(), key.end(), [](unsigned char c) {
        return std::isalnum(c) || c == '_' || c == '.' || c == '-';
    });
}

// python-dotenv: single quotes are literal but for \' and \\.
std::string written_back(const std::map<std::string, std::string>& entries)
{
    std::string out;
    for (const auto& [key, value] : entries) {
        out += key + "='";
        for (char c : value) {
            if (c == '\\' || c == '\'')
                out += '\\';
            out += c;
        }
        out += "'\n";
    }
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    std::map<std::string, std::string> entries;
    try {
        entries = keel::parse_dotenv(text);
    } catch (const keel::settings_error& e) {
        const std::string_view message = e.what();
        const auto at = message.find(".env line ");
        check(at != std::string_view::npos, "a .env error that names no line", message);
        const auto line = std::stoul(std::string(message.substr(at + 10)));
        check(line >= 1 && line <= static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) + 1,
              "a .env error names a line the input does not have", message);
        return 0;
    }
    for (const auto& [key, value] : entries)
        check(is_name(key), "a .env key that is not a variable name", key);
    const std::string again_text = written_back(entries);
    check(keel::parse_dotenv(again_text) == entries, "entries written back single-quoted parse differently", again_text);
    return 0;
}
