#pragma once
// The OpenAPI 3.1 document of an app, generated from its routes: their handlers' signatures
// (parameters, bodies, results, dependencies) and their route_doc. Nothing is written by hand.
#include <string>

#include <boost/json/fwd.hpp>

#include <keel/openapi/settings.hpp>

namespace keel::http {
class router;
}

namespace keel::openapi {

/// The document for every route of `routes` whose route_doc.include_in_schema is true. Throws
/// std::invalid_argument when two operations end up with the same operation id.
boost::json::value document(const http::router& routes, const openapi_settings& settings);
/// Compact for serving; indented (two spaces, a member per line) for people and diffs.
enum class layout { compact, indented };
/// The same, as JSON text.
std::string document_text(const http::router& routes, const openapi_settings& settings, layout form = layout::compact);

/// Serves the document at settings.openapi_url (GET and HEAD, generated now, once, and answered
/// from memory) and the docs page at settings.docs_url; neither when openapi_url is empty. Call
/// it after the app's own routes are declared (keel::cli::main does). Throws as document() does,
/// and std::invalid_argument for a URL that is not a path.
void mount(http::router& routes, const openapi_settings& settings);

}  // namespace keel::openapi
