#include <keel/http/depends.hpp>

#include <boost/json/serialize.hpp>

#include <keel/model/parse.hpp>

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

bool is_json_content_type(std::string_view type)
{
    type = type.substr(0, type.find(';'));
    while (!type.empty() && type.back() == ' ')
        type.remove_suffix(1);
    std::string lower;
    for (char c : type)
        lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (!lower.starts_with("application/"))
        return false;
    std::string_view subtype = std::string_view(lower).substr(12);
    return subtype == "json" || subtype.ends_with("+json");
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

void throw_missing_state(const char* type_name)
{
    throw std::logic_error(std::string("a handler needs ") + type_name + " but the app was not given one (app.provide)");
}

}  // namespace detail
}  // namespace keel::http
