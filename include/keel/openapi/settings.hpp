#pragma once
#include <string>
#include <string_view>
#include <vector>

#include <boost/describe/class.hpp>

namespace keel::openapi {

/// The OpenAPI document's settings, read from API_TITLE, API_VERSION, API_SERVERS, OPENAPI_URL and
/// DOCS_URL when embedded in the application's settings struct (FastAPI's title, version,
/// servers, openapi_url and docs_url).
struct openapi_settings {
    /// info.title; empty: the application's name (keel::cli fills it in).
    std::string api_title;
    /// info.version: the API's version, not keel's.
    std::string api_version = "0.1.0";
    /// Comma-separated base URLs the API is served at (`servers`); empty: the document's own origin.
    std::string api_servers;
    /// Where the document is served; empty turns the document and the docs page off (production).
    std::string openapi_url = "/openapi.json";
    /// Where the interactive docs page is served; empty turns only the page off.
    std::string docs_url = "/docs";
};
BOOST_DESCRIBE_STRUCT(openapi_settings, (), (api_title, api_version, api_servers, openapi_url, docs_url))

/// The URLs of a comma-separated list, blanks around them removed, empty entries dropped.
std::vector<std::string> split_servers(std::string_view list);

}  // namespace keel::openapi
