#pragma once
// The message type the server parses into, shared by the server and request's header lookups.
#include <memory_resource>

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

namespace keel::http::detail {

// A request's header fields come from its connection's arena, released after each request:
// no allocation per field on the hot path.
using native_fields = boost::beast::http::basic_fields<std::pmr::polymorphic_allocator<char>>;
using native_request = boost::beast::http::request<boost::beast::http::string_body, native_fields>;

}  // namespace keel::http::detail
