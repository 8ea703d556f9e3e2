#pragma once
// The interactive documentation page (Swagger UI) beside the document.
#include <keel/openapi/settings.hpp>

namespace keel::http {
class router;
}

namespace keel::openapi {

/// Adds GET settings.docs_url: Swagger UI 5 (it renders OpenAPI 3.1) showing the document at
/// settings.openapi_url, titled settings.api_title; and under docs_url its OAuth2 redirect page
/// ("/docs/oauth2-redirect") and files. All are served from the binary (nothing is fetched from
/// elsewhere at run time) and left out of the document. Pages carry a Content-Security-Policy
/// without inline scripts; every answer has a strong ETag (If-None-Match gives 304), and the files
/// the page links to are cached as immutable. openapi::mount calls it when both URLs are set.
/// Throws std::invalid_argument when docs_url is not a path of unreserved URL characters ("/docs",
/// "/api/docs") or openapi_url is not a path on this server; what router::add throws.
void mount_docs(http::router& routes, const openapi_settings& settings);

}  // namespace keel::openapi
