// How a response is spelled on the wire: the fields every response starts with, made once per
// second, then the status line, headers and body appended by hand.
#include "http/response_text.hpp"

#include <charconv>
#include <ctime>
#include <string_view>

#include <boost/beast/http/status.hpp>

#include <keel/core/log.hpp>

namespace keel::http::detail {

namespace bhttp = boost::beast::http;

namespace {

// The header fields every response starts with, made once per second per thread: Date (RFC 9110
// 6.6.1, IMF-fixdate) and secure defaults on every response, errors included: no MIME sniffing
// of JSON into HTML, and no URL (which may carry tokens) leaked to other sites through Referer.
// `ok` is the same behind the most common status line, so that most responses start with one copy.
struct response_start {
    std::string_view fields;
    std::string_view ok;
};

response_start common_start()
{
    static constexpr std::string_view ok_line = "HTTP/1.1 200 OK\r\n";
    thread_local std::time_t cached_second = 0;
    thread_local char text[192];
    thread_local std::size_t length = 0;
    const std::time_t now = std::time(nullptr);
    if (now != cached_second) {
        std::tm utc{};
        gmtime_r(&now, &utc);
        ok_line.copy(text, ok_line.size());
        length = std::strftime(text + ok_line.size(), sizeof text - ok_line.size(),
                               "Server: keel\r\nDate: %a, %d %b %Y %H:%M:%S GMT\r\n"
                               "X-Content-Type-Options: nosniff\r\nReferrer-Policy: no-referrer\r\n",
                               &utc);
        cached_second = now;
    }
    return {{text + ok_line.size(), length}, {text, ok_line.size() + length}};
}

// A header name or value with CR or LF would let a handler split the response (RFC 9112 11.1).
bool safe_header_text(std::string_view text) { return text.find_first_of("\r\n") == std::string_view::npos; }

void append_number(std::string& out, std::size_t n)
{
    char digits[24];
    const auto end = std::to_chars(digits, digits + sizeof digits, n).ptr;
    out.append(digits, end);
}

}  // namespace

void append_response(std::string& out, const response& res, unsigned version, bool keep_alive, bool with_body)
{
    using namespace std::string_view_literals;  // lengths known at compile time: no strlen
    const response_start start = common_start();
    if (version >= 11 && res.status == 200) {
        out.append(start.ok);
    } else {
        out.append(version >= 11 ? "HTTP/1.1 "sv : "HTTP/1.0 "sv);
        append_number(out, static_cast<std::size_t>(res.status));
        out += ' ';
        out.append(bhttp::obsolete_reason(static_cast<bhttp::status>(res.status)));
        out.append("\r\n"sv).append(start.fields);
    }
    const bool bodiless = res.status == 204 || res.status == 304 || res.status < 200;
    if (!bodiless) {
        out.append("Content-Type: "sv).append(res.content_type).append("\r\nContent-Length: "sv);
        append_number(out, res.body.size());
        out.append("\r\n"sv);
    }
    if (!keep_alive && version >= 11)
        out.append("Connection: close\r\n"sv);
    else if (keep_alive && version < 11)
        out.append("Connection: keep-alive\r\n"sv);
    for (const auto& [name, value] : res.headers) {
        if (!safe_header_text(name) || !safe_header_text(value)) {
            log::error("dropped response header '{}': CR or LF in its name or value", name);
            continue;
        }
        out.append(name).append(": "sv).append(value).append("\r\n"sv);
    }
    out.append("\r\n"sv);
    if (with_body && !bodiless)
        out.append(res.body);
}

}  // namespace keel::http::detail
