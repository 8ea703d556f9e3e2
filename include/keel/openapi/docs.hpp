#pragma once
// The interactive documentation page (Swagger UI) beside the document.
#include <keel/openapi/settings.hpp>

namespace keel::http {
class router;
}

namespace keel::openapi {

/// Adds the docs page's routes at settings.docs_url (route_doc.include_in_schema = false).
/// openapi::mount calls it when both openapi_url and docs_url are set.
void mount_docs(http::router& routes, const openapi_settings& settings);

}  // namespace keel::openapi
