#pragma once
#include <string>
#include <string_view>

namespace keel::http::detail {

/// Decodes %XX escapes (a malformed escape is kept as is); in a query string '+' is a space
/// (application/x-www-form-urlencoded).
inline std::string percent_decode(std::string_view in, bool plus_is_space)
{
    auto hex = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    };
    std::string out;
    out.reserve(in.size());
    for (std::size_t i = 0; i < in.size(); ++i) {
        if (in[i] == '%' && i + 2 < in.size() + 0 && hex(in[i + 1]) >= 0 && hex(in[i + 2]) >= 0) {
            out += static_cast<char>(hex(in[i + 1]) * 16 + hex(in[i + 2]));
            i += 2;
        } else if (in[i] == '+' && plus_is_space) {
            out += ' ';
        } else {
            out += in[i];
        }
    }
    return out;
}

}  // namespace keel::http::detail
