#include <keel/openapi/document.hpp>

#include <cctype>
#include <map>
#include <stdexcept>

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <keel/http/router.hpp>
#include <keel/model/schema.hpp>

#include "core/ascii.hpp"

namespace keel::openapi {

namespace {

using boost::json::array;
using boost::json::object;
using boost::json::value;

constexpr const char* schema_refs = "#/components/schemas/";

object json_content(value schema) { return {{"application/json", {{"schema", std::move(schema)}}}}; }
value component_ref(std::string_view name) { return {{"$ref", std::string(schema_refs) + std::string(name)}}; }

// The error bodies src/http/error_map.cpp writes: http::error's {"detail": "…"} and validation's
// {"detail": [{"type", "loc", "msg"[, "ctx"]}]} (FastAPI's HTTPValidationError).
void define_error_bodies(model::schema_set& set)
{
    set.define("HTTPError", {{"title", "HTTPError"},
                             {"type", "object"},
                             {"properties", {{"detail", {{"type", "string"}}}}},
                             {"required", array{"detail"}}});
    const value location = {{"type", "array"}, {"items", {{"anyOf", array{object{{"type", "string"}}, object{{"type", "integer"}}}}}}};
    set.define("ValidationError", {{"title", "ValidationError"},
                                   {"type", "object"},
                                   {"properties", {{"type", {{"type", "string"}}}, {"loc", location}, {"msg", {{"type", "string"}}},
                                                   {"ctx", {{"type", "object"}}}}},
                                   {"required", array{"type", "loc", "msg"}}});
    set.define("HTTPValidationError", {{"title", "HTTPValidationError"},
                                       {"type", "object"},
                                       {"properties", {{"detail", {{"type", "array"}, {"items", component_ref("ValidationError")}}}}},
                                       {"required", array{"detail"}}});
}

// "GET /users/{id}" → "get_users_id", as FastAPI derives ids from the path (it adds the function name).
std::string derived_operation_id(const http::router::route_view& route)
{
    std::string out = keel::detail::ascii_lowered(http::method_name(route.verb));
    for (char c : route.path_template) {
        if (std::isalnum(static_cast<unsigned char>(c)))
            out += c;
        else if (c != '{' && c != '}' && out.back() != '_')
            out += '_';
    }
    if (out.back() == '_')
        out += "root";
    return out;
}

array parameters(const http::router::route_view& route, model::schema_set& set)
{
    array out;
    const auto& schema = route.handler.needs.schema;
    for (std::size_t i = 0; i < schema.path.size() && i < route.path_names.size(); ++i)
        out.push_back(object{{"name", route.path_names[i]}, {"in", "path"}, {"required", true}, {"schema", schema.path[i](set)}});
    for (const auto write : schema.query) {
        value members = write(set);  // a local: the loop below walks inside it
        for (auto& [name, property] : members.as_object()["properties"].as_object())
            out.push_back(object{{"name", name}, {"in", "query"}, {"required", false}, {"schema", std::move(property)}});
    }
    return out;
}

object responses(const http::router::route_view& route, model::schema_set& set)
{
    const auto& schema = route.handler.needs.schema;
    object out;
    object success{{"description", "Successful Response"}};
    if (schema.result)
        success["content"] = json_content(schema.result(set));
    out[std::to_string(schema.status)] = std::move(success);
    if (schema.validates_input())
        out["422"] = {{"description", "Validation Error"}, {"content", json_content(component_ref("HTTPValidationError"))}};
    // The route's own descriptions win over those its dependencies give.
    for (const auto* list : {&schema.responses, &route.handler.doc.responses})
        for (const auto& [status, description] : *list)
            out[std::to_string(status)] = {{"description", description}, {"content", json_content(component_ref("HTTPError"))}};
    return out;
}

// Security schemes by name; an OAuth2 password flow gets the path of the route taking its token
// form as tokenUrl, and is left out when no route does (OpenAPI requires the URL).
class security_schemes {
public:
    explicit security_schemes(const std::vector<http::router::route_view>& routes)
    {
        std::map<std::string, std::string> token_urls;
        for (const auto& route : routes)
            for (const auto& scheme : route.handler.needs.schema.token_endpoint_of)
                token_urls.try_emplace(scheme, route.path_template);
        for (const auto& route : routes)
            for (const auto& [name, definition] : route.handler.needs.schema.security)
                add(name, definition, token_urls);
    }
    bool known(std::string_view name) const { return schemes_.contains(name); }
    const object& all() const { return schemes_; }

private:
    void add(const std::string& name, object definition, const std::map<std::string, std::string>& token_urls)
    {
        if (schemes_.contains(name) || dropped_.contains(name))
            return;
        if (auto* password = definition.contains("flows") ? definition["flows"].as_object().if_contains("password") : nullptr) {
            const auto url = token_urls.find(name);
            if (url == token_urls.end()) {
                dropped_.emplace(name, true);
                return;
            }
            password->as_object()["tokenUrl"] = url->second;
        }
        schemes_[name] = std::move(definition);
    }
    object schemes_;
    std::map<std::string, bool> dropped_;
};

array security_requirements(const http::handler_schema& schema, const security_schemes& schemes)
{
    array out;
    for (const auto& [name, definition] : schema.security)
        if (schemes.known(name))
            out.push_back(object{{name, array{}}});
    return out;
}

object operation(const http::router::route_view& route, model::schema_set& set, const security_schemes& schemes)
{
    const auto& doc = route.handler.doc;
    const auto& schema = route.handler.needs.schema;
    object out;
    if (!doc.tags.empty())
        out["tags"] = array(doc.tags.begin(), doc.tags.end());
    if (!doc.summary.empty())
        out["summary"] = doc.summary;
    if (!doc.description.empty())
        out["description"] = doc.description;
    out["operationId"] = doc.operation_id.empty() ? derived_operation_id(route) : doc.operation_id;
    if (auto list = parameters(route, set); !list.empty())
        out["parameters"] = std::move(list);
    if (schema.body)
        out["requestBody"] = {{"required", true},
                              {"content", {{schema.body->media_type, {{"schema", schema.body->schema(set)}}}}}};
    out["responses"] = responses(route, set);
    if (auto requirements = security_requirements(schema, schemes); !requirements.empty())
        out["security"] = std::move(requirements);
    if (doc.deprecated)
        out["deprecated"] = true;
    return out;
}

void require_unique_id(std::map<std::string, std::string>& ids, const object& op, const http::router::route_view& route)
{
    const std::string where = std::string(http::method_name(route.verb)) + " " + route.path_template;
    const auto [it, added] = ids.try_emplace(std::string(op.at("operationId").as_string()), where);
    if (!added)
        throw std::invalid_argument("OpenAPI: " + where + " and " + it->second + " have the same operation id '" + it->first +
                                    "': give one of them route_doc.operation_id");
}

array tags_in_order(const std::vector<http::router::route_view>& routes)
{
    array out;
    for (const auto& route : routes)
        for (const auto& tag : route.handler.doc.tags)
            if (std::none_of(out.begin(), out.end(), [&](const value& t) { return t.at("name") == tag.c_str(); }))
                out.push_back(object{{"name", tag}});
    return out;
}

// Boost.JSON 1.81 has no pretty printer: containers open a line per member, scalars as serialize().
void write_indented(std::string& out, const value& v, std::size_t depth)
{
    const auto newline = [&](std::size_t level) { out.append("\n").append(2 * level, ' '); };
    if (const auto* members = v.if_object(); members && !members->empty()) {
        out += '{';
        for (auto it = members->begin(); it != members->end(); ++it) {
            out += it == members->begin() ? "" : ",";
            newline(depth + 1);
            out += boost::json::serialize(value(it->key())) + ": ";
            write_indented(out, it->value(), depth + 1);
        }
        newline(depth);
        out += '}';
    } else if (const auto* items = v.if_array(); items && !items->empty()) {
        out += '[';
        for (std::size_t i = 0; i < items->size(); ++i) {
            out += i == 0 ? "" : ",";
            newline(depth + 1);
            write_indented(out, (*items)[i], depth + 1);
        }
        newline(depth);
        out += ']';
    } else {
        out += boost::json::serialize(v);
    }
}

object info_and_servers(const openapi_settings& settings)
{
    object out{{"openapi", "3.1.0"}, {"info", {{"title", settings.api_title}, {"version", settings.api_version}}}};
    array servers;
    for (const auto& url : split_servers(settings.api_servers))
        servers.push_back(object{{"url", url}});
    if (!servers.empty())
        out["servers"] = std::move(servers);
    return out;
}

}  // namespace

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
    std::vector<http::router::route_view> documented;
    for (const auto& route : routes.routes())
        if (route.handler.doc.include_in_schema)
            documented.push_back(route);
    model::schema_set set(schema_refs);
    define_error_bodies(set);
    const security_schemes schemes(documented);
    object paths;
    std::map<std::string, std::string> ids;
    for (const auto& route : documented) {
        auto op = operation(route, set, schemes);
        require_unique_id(ids, op, route);
        auto& item = paths[route.path_template];
        if (item.is_null())
            item.emplace_object();
        item.as_object()[keel::detail::ascii_lowered(http::method_name(route.verb))] = std::move(op);
    }
    object out = info_and_servers(settings);
    out["paths"] = std::move(paths);
    object components{{"schemas", set.definitions()}};
    if (!schemes.all().empty())
        components["securitySchemes"] = schemes.all();
    out["components"] = std::move(components);
    if (auto tags = tags_in_order(documented); !tags.empty())
        out["tags"] = std::move(tags);
    return out;
}

std::string document_text(const http::router& routes, const openapi_settings& settings, layout form)
{
    const auto doc = document(routes, settings);
    if (form == layout::compact)
        return boost::json::serialize(doc);
    std::string out;
    write_indented(out, doc, 0);
    return out;
}

}  // namespace keel::openapi
