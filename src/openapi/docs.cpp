// GET /docs: Swagger UI from the files embedded at build time (swagger_ui_assets.hpp), with a page
// and an initializer generated here that name the document, so the page needs no inline script.
#include <keel/openapi/docs.hpp>

#include <algorithm>
#include <functional>
#include <memory>
#include <stdexcept>

#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>
#include <fmt/format.h>

#include <keel/http/router.hpp>

#include "openapi/swagger_ui_assets.hpp"

namespace keel::openapi {

namespace {

using detail::embedded_file;

// Only this server's own scripts, styles and fetches (the document, "Try it out", the token URL);
// Swagger UI's icons are data: URLs in its style sheet. No inline script, no framing.
constexpr std::string_view page_policy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
// A year: the page links to each file with ?v=<its version>, so a new version is a new URL.
constexpr std::string_view immutable_cache = "public, max-age=31536000, immutable";
constexpr std::string_view initializer_name = "swagger-ui-init.js";

// One URL's answer, built once at registration.
struct served_file {
    std::string content_type;
    std::string_view embedded;  // the bytes, when they come from swagger-ui-dist
    std::string generated;      // the bytes, when keel wrote them
    std::string version;        // 16 hex digits of the content's hash: the ETag and the links' ?v=
    bool page = false;          // HTML: the Content-Security-Policy, and always revalidated

    std::string_view body() const noexcept { return generated.empty() ? embedded : std::string_view(generated); }
    std::string etag() const { return '"' + version + '"'; }
};

std::string content_type_of(std::string_view name)
{
    const auto extension = name.substr(std::min(name.rfind('.'), name.size()));
    if (extension == ".js")
        return "text/javascript; charset=utf-8";
    if (extension == ".css")
        return "text/css; charset=utf-8";
    if (extension == ".png")
        return "image/png";
    return "text/html; charset=utf-8";
}

served_file from_package(const embedded_file& file)
{
    return {content_type_of(file.name), file.bytes(), {}, std::string(file.sha256.substr(0, 16)), file.name.ends_with(".html")};
}

served_file generated(std::string name, std::string bytes)
{
    auto version = fmt::format("{:016x}", std::hash<std::string_view>{}(bytes));
    const bool page = !name.ends_with(".js");
    return {content_type_of(name), {}, std::move(bytes), std::move(version), page};
}

const embedded_file& package_file(std::string_view name)
{
    const auto files = detail::swagger_ui_files();
    const auto found = std::find_if(files.begin(), files.end(), [&](const embedded_file& f) { return f.name == name; });
    if (found == files.end())  // the list in swagger_ui.cmake and this file disagree
        throw std::logic_error("swagger-ui-dist's " + std::string(name) + " is not embedded");
    return *found;
}

// RFC 9110 13.1.2: If-None-Match is "*" or a list of entity tags, compared weakly.
bool none_match_fails(std::string_view header, std::string_view etag)
{
    while (!header.empty()) {
        const auto comma = header.find(',');
        auto tag = header.substr(0, comma);
        header = comma == std::string_view::npos ? std::string_view() : header.substr(comma + 1);
        tag.remove_prefix(std::min(tag.find_first_not_of(" \t"), tag.size()));
        tag = tag.substr(0, tag.find_last_not_of(" \t") + 1);
        if (tag.starts_with("W/"))
            tag.remove_prefix(2);
        if (tag == "*" || tag == etag)
            return true;
    }
    return false;
}

http::response answer(const served_file& file, const http::request& request)
{
    const std::string etag = file.etag();
    http::response out;
    const auto condition = request.header("If-None-Match");
    if (condition && none_match_fails(*condition, etag)) {
        out.status = 304;
    } else {
        out.body = file.body();
        out.content_type = file.content_type;
    }
    const bool versioned_link = !file.page && request.query_param("v") == file.version;
    out.headers.emplace_back("ETag", etag);
    out.headers.emplace_back("Cache-Control", versioned_link ? immutable_cache : "no-cache");
    if (file.page)
        out.headers.emplace_back("Content-Security-Policy", page_policy);
    return out;
}

task<http::response> serve(std::shared_ptr<const served_file> file, const http::request& request)
{
    co_return answer(*file, request);
}

void add_file_route(http::router& routes, const std::string& path, served_file file)
{
    auto shared = std::make_shared<const served_file>(std::move(file));
    routes.add(http::method::get, path,
               http::route_handler{[shared](http::request_context& ctx) { return serve(shared, ctx.request); }, {}, {}},
               {.include_in_schema = false});
}

std::string html_escape(std::string_view text)
{
    std::string out;
    for (char c : text) {
        switch (c) {
        case '&': out += "&amp;"; break;
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '"': out += "&quot;"; break;
        case '\'': out += "&#39;"; break;
        default: out += c;
        }
    }
    return out;
}

std::string js_string(std::string_view text) { return boost::json::serialize(boost::json::string(text)); }

// FastAPI's get_swagger_ui_html settings; validatorUrl null: no badge fetched from swagger.io.
std::string initializer_js(const openapi_settings& settings)
{
    return fmt::format(
        "// Generated by keel: Swagger UI for {0}, in a file of its own because the page allows no inline script.\n"
        "window.ui = SwaggerUIBundle({{\n"
        "  url: {1},\n"
        "  dom_id: \"#swagger-ui\",\n"
        "  layout: \"BaseLayout\",\n"
        "  deepLinking: true,\n"
        "  showExtensions: true,\n"
        "  showCommonExtensions: true,\n"
        "  validatorUrl: null,\n"
        "  oauth2RedirectUrl: window.location.origin + {2},\n"
        "  presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset]\n"
        "}});\n",
        js_string(settings.docs_url), js_string(settings.openapi_url), js_string(settings.docs_url + "/oauth2-redirect"));
}

std::string page_html(const openapi_settings& settings, const served_file& initializer)
{
    const auto link = [&](std::string_view name, std::string_view version) {
        return fmt::format("{}/{}?v={}", settings.docs_url, name, version);
    };
    const auto version_of = [](std::string_view name) { return package_file(name).sha256.substr(0, 16); };
    return fmt::format(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        "<title>{} - Swagger UI</title>\n<link rel=\"stylesheet\" href=\"{}\">\n"
        "<link rel=\"icon\" type=\"image/png\" href=\"{}\">\n</head>\n<body>\n<div id=\"swagger-ui\"></div>\n"
        "<script src=\"{}\"></script>\n<script src=\"{}\"></script>\n</body>\n</html>\n",
        html_escape(settings.api_title), link("swagger-ui.css", version_of("swagger-ui.css")),
        link("favicon-32x32.png", version_of("favicon-32x32.png")),
        link("swagger-ui-bundle.js", version_of("swagger-ui-bundle.js")), link(initializer_name, initializer.version));
}

// A path of unreserved characters (RFC 3986 2.3) needs no escaping in HTML, JavaScript or a
// route template, and "/docs/" would put the files at "/docs//swagger-ui.css".
void check_urls(const openapi_settings& settings)
{
    const auto& docs = settings.docs_url;
    const bool docs_ok = docs.size() > 1 && docs.front() == '/' && docs.back() != '/' && docs.find("//") == std::string::npos &&
                         docs.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~/") ==
                             std::string::npos;
    if (!docs_ok)
        throw std::invalid_argument("docs URL '" + docs + "' must be a path such as /docs: '/' and letters, digits, '-', '.', '_', '~'");
    if (!settings.openapi_url.starts_with('/') || settings.openapi_url.starts_with("//"))
        throw std::invalid_argument("OpenAPI URL '" + settings.openapi_url + "' must be a path on this server, such as /openapi.json");
}

}  // namespace

void mount_docs(http::router& routes, const openapi_settings& settings)
{
    check_urls(settings);
    auto initializer = generated(std::string(initializer_name), initializer_js(settings));
    add_file_route(routes, settings.docs_url, generated("index.html", page_html(settings, initializer)));
    add_file_route(routes, settings.docs_url + "/" + std::string(initializer_name), std::move(initializer));
    // Swagger UI's own redirect page loads "oauth2-redirect.js" beside it.
    add_file_route(routes, settings.docs_url + "/oauth2-redirect", from_package(package_file("oauth2-redirect.html")));
    for (const auto& file : detail::swagger_ui_files())
        if (file.name != "oauth2-redirect.html")
            add_file_route(routes, settings.docs_url + "/" + std::string(file.name), from_package(file));
}

}  // namespace keel::openapi
