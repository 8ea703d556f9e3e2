// The common request read without Beast's general parser (see parse_plain_request). Everything
// outside the strict subset read here is left to Beast, so this never refuses a request and never
// accepts one Beast would refuse; tests/fuzz/request_parsers.cpp compares the two on every input.
#include <algorithm>

#include "core/ascii.hpp"
#include "http/request_parser.hpp"

namespace keel::http::detail {

namespace {

namespace bhttp = boost::beast::http;
using keel::detail::same_ignoring_case;

// Character classes as tables: these run over every byte of every request head.
struct char_table {
    bool tchar[256]{};        // RFC 9110 5.6.2 token characters
    bool visible[256]{};      // VCHAR, ASCII only
    bool field_value[256]{};  // VCHAR, SP and HTAB: what a field value may hold here
    constexpr char_table()
    {
        for (int c = 0x21; c < 0x7f; ++c)
            visible[c] = field_value[c] = true;
        field_value[static_cast<unsigned char>(' ')] = field_value[static_cast<unsigned char>('\t')] = true;
        for (int c = '0'; c <= '9'; ++c)
            tchar[c] = true;
        for (int c = 'a'; c <= 'z'; ++c)
            tchar[c] = tchar[c - 'a' + 'A'] = true;
        for (char c : std::string_view("!#$%&'*+-.^_`|~"))
            tchar[static_cast<unsigned char>(c)] = true;
    }
};
constexpr char_table chars;

bool is_tchar(char c) { return chars.tchar[static_cast<unsigned char>(c)]; }
bool is_visible(char c) { return chars.visible[static_cast<unsigned char>(c)]; }
bool is_field_value(char c) { return chars.field_value[static_cast<unsigned char>(c)]; }
bool is_whitespace(char c) { return c == ' ' || c == '\t'; }

std::size_t token_end(std::string_view text, std::size_t at)
{
    while (at < text.size() && is_tchar(text[at]))
        ++at;
    return at;
}

std::size_t skip_whitespace(std::string_view text, std::size_t at)
{
    while (at < text.size() && is_whitespace(text[at]))
        ++at;
    return at;
}

std::string_view trim_whitespace(std::string_view text)
{
    const std::size_t begin = skip_whitespace(text, 0);
    std::size_t end = text.size();
    while (end > begin && is_whitespace(text[end - 1]))
        --end;
    return text.substr(begin, end - begin);
}

struct connection_options {
    bool close = false;
    bool keep_alive = false;
};

// A Connection (or Proxy-Connection) value of tokens separated by commas, every element present;
// false for any other value, which Beast then judges.
bool read_connection(std::string_view value, connection_options& out)
{
    std::size_t at = 0;
    for (;;) {
        const std::size_t end = token_end(value, at);
        if (end == at)
            return false;
        const std::string_view token = value.substr(at, end - at);
        out.close = out.close || same_ignoring_case(token, "close");
        out.keep_alive = out.keep_alive || same_ignoring_case(token, "keep-alive");
        at = skip_whitespace(value, end);
        if (at == value.size())
            return true;
        if (value[at] != ',')
            return false;
        at = skip_whitespace(value, at + 1);
    }
}

// "METHOD SP target SP HTTP/1.x CRLF" with a method Beast knows and a target of visible ASCII;
// the offset after it, or 0.
std::size_t read_request_line(std::string_view head, parsed_request& out)
{
    const std::size_t method_end = token_end(head, 0);
    if (method_end == 0 || method_end >= head.size() || head[method_end] != ' ')
        return 0;
    const std::string_view method = head.substr(0, method_end);
    const bhttp::verb verb = bhttp::string_to_verb(method);
    std::size_t at = method_end + 1;
    while (at < head.size() && is_visible(head[at]))
        ++at;
    if (verb == bhttp::verb::unknown || at == method_end + 1 || at >= head.size() || head[at] != ' ')
        return 0;
    const std::string_view version = head.substr(at + 1, 10);
    if (version != "HTTP/1.1\r\n" && version != "HTTP/1.0\r\n")
        return 0;
    out.method = verb;
    out.version = version[7] == '1' ? 11 : 10;
    out.set_request_line(method, head.substr(method_end + 1, at - method_end - 1));
    return at + 1 + version.size();
}

// "name: value" of a token name and a value of visible ASCII, spaces and tabs; false for anything
// else, and for the fields that frame a body.
bool read_field(std::string_view line, parsed_request& out, connection_options& connection)
{
    const std::size_t name_end = token_end(line, 0);
    if (name_end == 0 || name_end >= line.size() || line[name_end] != ':')
        return false;
    const std::string_view name = line.substr(0, name_end);
    const std::string_view value = trim_whitespace(line.substr(name_end + 1));
    if (!std::all_of(value.begin(), value.end(), is_field_value))
        return false;
    if (same_ignoring_case(name, "content-length") || same_ignoring_case(name, "transfer-encoding"))
        return false;
    if ((same_ignoring_case(name, "connection") || same_ignoring_case(name, "proxy-connection")) &&
        !read_connection(value, connection))
        return false;
    out.add_field(name, value);
    return true;
}

// Where the line that starts at `at` ends: the offset of its CRLF, or npos when a CR without its
// LF comes first (which no line read here may hold) or the text ends before the CRLF.
std::size_t line_end(std::string_view text, std::size_t at)
{
    const std::size_t cr = text.find('\r', at);
    return cr != std::string_view::npos && cr + 1 < text.size() && text[cr + 1] == '\n' ? cr : std::string_view::npos;
}

}  // namespace

// One pass over the head, line by line: the lines read here hold no CR or LF, so their ends are
// where the head's first CRLF CRLF says they are.
std::optional<plain_request> parse_plain_request(std::string_view input, std::size_t header_limit, parsed_request& out)
{
    const std::string_view window = input.substr(0, header_limit);  // the head must end within it
    std::size_t at = read_request_line(window, out);
    if (at == 0)
        return std::nullopt;
    connection_options connection;
    for (std::size_t end; (end = line_end(window, at)) != at; at = end + 2) {
        if (end == std::string_view::npos || !read_field(window.substr(at, end - at), out, connection))
            return std::nullopt;
    }
    // As Beast's limit: the head with its final CRLF must be shorter than header_limit.
    const std::size_t used = at + 2;
    if (used >= header_limit)
        return std::nullopt;
    // As Beast's basic_parser::keep_alive: HTTP/1.1 unless "close", HTTP/1.0 only with "keep-alive".
    const bool keep_alive = out.version == 11 ? !connection.close : connection.keep_alive;
    return plain_request{used, keep_alive};
}

}  // namespace keel::http::detail
