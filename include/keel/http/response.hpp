#pragma once
#include <string>
#include <utility>
#include <vector>

#include <boost/json/fwd.hpp>

namespace keel::http {

/// What a handler sends back. Handlers usually return a typed value instead, which keel
/// serialises; return a response to control status, type and headers yourself.
struct response {
    int status = 200;
    std::string body;
    std::string content_type = "application/json";
    std::vector<std::pair<std::string, std::string>> headers;

    static response json(int status, const boost::json::value& body);
    static response text(int status, std::string body, std::string content_type = "text/plain; charset=utf-8");
};

/// Return `created<T>{value}` for 201 Created with T's JSON.
template <class T>
struct created {
    T value;
};

/// Return `with_headers<T>{value, {{"Cache-Control", "no-store"}}}` for 200 with T's JSON and
/// these headers: a typed result (documented by its model) that also sets headers.
template <class T>
struct with_headers {
    T value;
    std::vector<std::pair<std::string, std::string>> headers;
};

}  // namespace keel::http
