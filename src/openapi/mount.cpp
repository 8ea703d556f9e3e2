#include <keel/openapi/document.hpp>

#include <memory>

#include <keel/http/router.hpp>
#include <keel/openapi/docs.hpp>

namespace keel::openapi {

void mount(http::router& routes, const openapi_settings& settings)
{
    if (settings.openapi_url.empty())
        return;
    // Generated once: the routes cannot change after start-up, so every request gets the same text.
    auto text = std::make_shared<const std::string>(document_text(routes, settings));
    routes.get(settings.openapi_url,
               [text]() -> task<http::response> { co_return http::response{200, *text, "application/json", {}}; },
               {.include_in_schema = false});
    if (!settings.docs_url.empty())
        mount_docs(routes, settings);
}

}  // namespace keel::openapi
