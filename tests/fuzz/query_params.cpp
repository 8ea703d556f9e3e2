// Fuzz target: percent decoding (src/http/percent.hpp) and query/path binding. The input is a
// request target's query string; it is decoded, searched by request::query_param and bound to a
// described struct by the very resolver a handler's http::query<T> parameter uses.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <keel/core/block_on.hpp>
#include <keel/http/depends.hpp>

#include "check.hpp"
#include "http/percent.hpp"

namespace {

struct page {
    keel::integer<1, 100> limit = 10;
    std::int64_t offset = 0;
    keel::text<0, 20, "^[a-z0-9 ]*$"> q;
    bool flag = false;
    double ratio = 0;
    std::optional<keel::timestamp> since;
    std::uint16_t port = 0;
    std::optional<keel::integer<-5, 5>> delta;
};
BOOST_DESCRIBE_STRUCT(page, (), (limit, offset, q, flag, ratio, since, port, delta))

using keel::fuzz::check;
using keel::http::detail::percent_decode;

std::string percent_encode_all(std::string_view in)
{
    static constexpr char digits[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : in) {
        out += '%';
        out += digits[c >> 4];
        out += digits[c & 15];
    }
    return out;
}

void check_decoding(std::string_view in)
{
    for (bool plus_is_space : {false, true}) {
        const std::string out = percent_decode(in, plus_is_space);
        check(out.size() <= in.size(), "percent_decode grew the string");
        if (in.find('%') == std::string_view::npos && (!plus_is_space || in.find('+') == std::string_view::npos))
            check(out == in, "percent_decode changed a string without escapes");
    }
    check(percent_decode(percent_encode_all(in), false) == in, "percent_decode(encode(x)) != x");
}

void check_binding(std::string_view query)
{
    const std::string target = "/items?" + std::string(query);
    const keel::http::request view(keel::http::method::get, "GET", target, {}, nullptr);
    check(view.query_string() == query, "query_string() is not what follows the '?'");
    for (std::string_view name : {"limit", "q", "since", ""}) {
        if (auto value = view.query_param(name))
            check(value->size() <= query.size(), "a query parameter is longer than the query string");
    }
    const keel::http::app_state state;
    keel::http::request_context ctx{view, {}, {}, state};
    auto bound = keel::block_on([&]() { return keel::http::resolver<keel::http::query<page>>::resolve(ctx); });
    for (const auto& issue : ctx.issues) {
        check(issue.loc.size() == 2 && issue.loc[0] == "query", "an issue outside query.<name>");
        check(!issue.msg.empty() && !issue.type.empty(), "an issue without a message or type");
    }
    if (ctx.issues.empty()) {
        check(bound->limit >= 1 && bound->limit <= 100, "limit bound outside 1..100");
        check(!bound->delta || (*bound->delta >= -5 && *bound->delta <= 5), "delta bound outside -5..5");
        check(bound->q.str().size() <= 20, "q bound longer than 20 bytes");
        check(bound->q.str().find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789 ") == std::string::npos,
              "q bound though it does not match its pattern");
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string_view in(reinterpret_cast<const char*>(data), size);
    check_decoding(in);
    // A request target cannot carry these; Beast's parser refuses them before a handler runs.
    if (in.find_first_of(std::string_view("\r\n \0#", 5)) == std::string_view::npos)
        check_binding(in);
    return 0;
}
