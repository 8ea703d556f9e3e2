#pragma once
// Beast's HTTP/1.1 parser (its framing rules, limits and errors) writing into a parsed_request.
#include <cstddef>
#include <optional>
#include <string_view>

#include <boost/beast/http/basic_parser.hpp>

#include "http/parsed_request.hpp"

namespace keel::http::detail {

/// One request's parser: make one per request (Beast's parsers are not reusable) over a cleared
/// parsed_request, which keeps the result after the parser is gone.
class request_parser final : public boost::beast::http::basic_parser<true> {
public:
    explicit request_parser(parsed_request& out) noexcept : out_(out) {}
    parsed_request& get() noexcept { return out_; }
    const parsed_request& get() const noexcept { return out_; }

private:
    using string_view = boost::beast::string_view;
    using error_code = boost::beast::error_code;
    void on_request_impl(boost::beast::http::verb method, string_view method_text, string_view target, int version,
                         error_code&) override;
    void on_response_impl(int, string_view, int, error_code&) override {}
    void on_field_impl(boost::beast::http::field, string_view name, string_view value, error_code&) override;
    void on_header_impl(error_code&) override {}
    void on_body_init_impl(const boost::optional<std::uint64_t>& content_length, error_code&) override;
    std::size_t on_body_impl(string_view body, error_code&) override;
    void on_chunk_header_impl(std::uint64_t, string_view, error_code&) override {}
    std::size_t on_chunk_body_impl(std::uint64_t, string_view body, error_code&) override;
    void on_finish_impl(error_code&) override {}

    parsed_request& out_;
};

/// A request read without Beast: how many bytes of the buffer it took, and whether the
/// connection stays open after it.
struct plain_request {
    std::size_t used;
    bool keep_alive;
};

/// The common request — a request line and header fields, no body — parsed straight into `out`
/// when `input` holds all of it within a strict subset of HTTP/1.1 that Beast's parser reads
/// the same way (tests/fuzz/request_parsers.cpp checks that they agree); nullopt for anything
/// else (a body, obs-fold, bytes outside printable ASCII, a header of `header_limit` bytes or
/// more, an incomplete header, ...), which Beast's parser then reads, refusing what it must
/// (`out` may hold part of the head then: Beast's parser starts it again).
/// Beast's general parser costs about a fifth of a small request's instructions.
std::optional<plain_request> parse_plain_request(std::string_view input, std::size_t header_limit, parsed_request& out);

}  // namespace keel::http::detail
