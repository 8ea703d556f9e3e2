#include <keel/http/depends.hpp>

#include <boost/json/serialize.hpp>

#include <keel/model/parse.hpp>

#include "core/ascii.hpp"
#include "http/percent.hpp"

namespace keel::http {

response response::json(int status, const boost::json::value& body)
{
    return response{status, boost::json::serialize(body), "application/json", {}};
}

response response::text(int status, std::string body, std::string content_type)
{
    return response{status, std::move(body), std::move(content_type), {}};
}

namespace detail {

namespace {

using keel::detail::equals_ignoring_case;

// The media type of a Content-Type value, without its parameters (compared ignoring case).
std::string_view media_type(std::string_view type) { return keel::detail::trim(type.substr(0, type.find(';'))); }

bool is_json_content_type(std::string_view type)
{
    constexpr std::string_view application = "application/", json_suffix = "+json";
    const auto media = media_type(type);
    if (media.size() < application.size() || !equals_ignoring_case(media.substr(0, application.size()), application))
        return false;
    const auto subtype = media.substr(application.size());
    return equals_ignoring_case(subtype, "json") ||
           (subtype.size() >= json_suffix.size() &&
            equals_ignoring_case(subtype.substr(subtype.size() - json_suffix.size()), json_suffix));
}

}  // namespace

std::optional<boost::json::value> parse_json_body(request_context& ctx)
{
    const std::string_view body = ctx.request.body();
    auto& issues = ctx.issues;
    if (body.empty()) {
        model::detail::add_missing(issues, boost::json::array{"body"});
        return std::nullopt;
    }
    // FastAPI reads the body as JSON when the content type says JSON or says nothing;
    // any other body cannot be an object.
    if (auto type = ctx.request.header("Content-Type"); type && !is_json_content_type(*type)) {
        model::detail::require_object(boost::json::value(body), boost::json::array{"body"}, issues);
        return std::nullopt;
    }
    return model::parse_json(body, boost::json::array{"body"}, issues);
}

form_fields parse_form(std::string_view body)
{
    form_fields out;
    while (!body.empty()) {
        const auto amp = body.find('&');
        const std::string_view pair = body.substr(0, amp);
        body = amp == std::string_view::npos ? std::string_view() : body.substr(amp + 1);
        if (pair.empty())
            continue;  // "a=1&&b=2": WHATWG skips empty sequences
        const auto eq = pair.find('=');
        const std::string_view value = eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
        out.emplace_back(percent_decode(pair.substr(0, eq), true), percent_decode(value, true));
    }
    return out;
}

form_fields read_form_body(const http::request& request)
{
    // FastAPI reads Form fields from urlencoded and multipart bodies; keel reads the first only,
    // and says so rather than reporting every field as missing.
    if (auto type = request.header("Content-Type"); type && !equals_ignoring_case(media_type(*type), "application/x-www-form-urlencoded"))
        throw http::error(415, "Unsupported Media Type: send the form as application/x-www-form-urlencoded");
    return parse_form(request.body());
}

const std::string* find_form_field(const form_fields& fields, std::string_view name)
{
    for (const auto& [key, value] : fields)
        if (key == name)
            return &value;
    return nullptr;
}

void throw_missing_state(const char* type_name)
{
    throw std::logic_error(std::string("a handler needs ") + type_name + " but the app was not given one (app.provide)");
}

}  // namespace detail
}  // namespace keel::http
