#pragma once
#include <string>

namespace keel::http {
class router;
}

namespace keel::openapi {

/// The interactive documentation page (Swagger UI) of an OpenAPI document.
struct docs_page {
    /// Where the page is served; its scripts, style sheet and OAuth2 redirect page live under it
    /// ("/docs/swagger-ui.css", "/docs/oauth2-redirect").
    std::string docs_url = "/docs";
    /// The document the page renders: a path on the same server (the page may fetch nothing else).
    std::string openapi_url = "/openapi.json";
    /// The page's title.
    std::string title = "API";
};

/// Registers GET `docs_url` (Swagger UI 5, rendering OpenAPI 3.1), `docs_url`/oauth2-redirect and
/// the UI's files under `docs_url`, all served from the binary: nothing is fetched from elsewhere
/// at run time. Pages carry a Content-Security-Policy without inline scripts; every answer has a
/// strong ETag (If-None-Match gives 304), and the files the page links to are cached as immutable.
/// Throws std::invalid_argument when `docs_url` is not a path of unreserved URL characters
/// ("/docs", "/api/docs") or `openapi_url` is not a path; what router::add throws.
void add_docs_routes(http::router& routes, const docs_page& page);

}  // namespace keel::openapi
