// Fuzz target: application/x-www-form-urlencoded bodies (src/http/body.cpp), parsed and bound to a
// described struct by the very resolver a handler's http::form<T> parameter uses. Checks that
// parsing never grows text, that every issue sits at ["body", <a field of T>] with a message, that
// the 422 body is valid JSON, and that a bound value satisfies its constraints.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <keel/core/block_on.hpp>
#include <keel/http/depends.hpp>

#include "check.hpp"
#include "http/parsed_request.hpp"

namespace {

using keel::fuzz::check;

struct sign_in {
    keel::text<3, 32, "^[A-Za-z0-9_.-]+$"> username;
    std::string password;
    std::optional<keel::text<8, 8, "^password$">> grant_type;
    std::optional<keel::integer<1, 10>> days;
    bool remember = false;
};
BOOST_DESCRIBE_STRUCT(sign_in, (), (username, password, grant_type, days, remember))

void check_parsing(std::string_view body)
{
    const auto fields = keel::http::detail::parse_form(body);
    check(fields.size() <= static_cast<std::size_t>(std::count(body.begin(), body.end(), '&')) + 1,
          "more fields than '&'-separated parts");
    for (const auto& [name, value] : fields)
        check(name.size() + value.size() <= body.size(), "a decoded field is longer than the body");
}

void check_binding(std::string_view body)
{
    keel::http::detail::parsed_request message;
    message.add_field("Content-Type", "application/x-www-form-urlencoded");
    const keel::http::request view(keel::http::method::post, "POST", "/token", body, &message);
    const keel::http::app_state state;
    keel::http::request_context ctx{view, {}, {}, state};
    auto bound = keel::block_on([&] { return keel::http::resolver<keel::http::form<sign_in>>::resolve(ctx); });
    for (const auto& issue : ctx.issues) {
        check(issue.loc.size() == 2 && issue.loc[0] == "body", "an issue outside body.<field>");
        const auto& field = issue.loc[1].as_string();
        check(field == "username" || field == "password" || field == "grant_type" || field == "days" || field == "remember",
              "an issue at a field the struct does not have");
        check(!issue.msg.empty() && !issue.type.empty(), "an issue without a message or type");
    }
    if (!ctx.issues.empty()) {
        const std::string detail = boost::json::serialize(keel::model::validation_error(ctx.issues).to_json());
        boost::system::error_code ec;
        boost::json::parse(detail, ec);
        check(!ec, "the 422 body is not valid JSON", detail);
        return;
    }
    const auto name = bound->username.str();
    check(name.size() >= 3 && name.size() <= 32 && name.find_first_not_of(
              "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") == std::string::npos,
          "username bound though it breaks its constraints");
    check(!bound->grant_type || bound->grant_type->str() == "password", "grant_type bound to something but 'password'");
    check(!bound->days || (*bound->days >= 1 && *bound->days <= 10), "days bound outside 1..10");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string_view body(reinterpret_cast<const char*>(data), size);
    check_parsing(body);
    check_binding(body);
    return 0;
}
