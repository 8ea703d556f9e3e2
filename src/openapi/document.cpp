#include <keel/openapi/document.hpp>

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <keel/http/router.hpp>

namespace keel::openapi {

std::vector<std::string> split_servers(std::string_view list)
{
    std::vector<std::string> out;
    while (!list.empty()) {
        const auto comma = list.find(',');
        auto item = list.substr(0, comma);
        const auto first = item.find_first_not_of(" \t");
        if (first != std::string_view::npos)
            out.emplace_back(item.substr(first, item.find_last_not_of(" \t") - first + 1));
        list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
    }
    return out;
}

boost::json::value document(const http::router& routes, const openapi_settings& settings)
{
    boost::json::object paths;
    for (const auto& route : routes.routes())
        if (route.handler.doc.include_in_schema)
        {
            auto& item = paths[route.path_template];
            if (item.is_null())
                item.emplace_object();
            item.as_object()[std::string(http::method_name(route.verb))] = boost::json::object{};
        }
    return boost::json::object{{"openapi", "3.1.0"},
                               {"info", {{"title", settings.api_title}, {"version", settings.api_version}}},
                               {"paths", std::move(paths)}};
}

std::string document_text(const http::router& routes, const openapi_settings& settings)
{
    return boost::json::serialize(document(routes, settings));
}

}  // namespace keel::openapi
