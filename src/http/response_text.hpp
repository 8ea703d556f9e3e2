#pragma once
// A response as it goes on the wire (RFC 9112): status line, header fields, body.
#include <string>

#include <keel/http/response.hpp>

namespace keel::http::detail {

/// The status line, headers and (unless `with_body` is false: HEAD) body of `res`, appended to
/// `out` by hand: no allocation once `out` has grown, no format parsing, on every response.
void append_response(std::string& out, const response& res, unsigned version, bool keep_alive, bool with_body);

}  // namespace keel::http::detail
