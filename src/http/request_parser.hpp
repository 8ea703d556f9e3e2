#pragma once
// Beast's HTTP/1.1 parser (its framing rules, limits and errors) writing into a parsed_request.
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
    void on_field_impl(boost::beast::http::field name, string_view name_text, string_view value, error_code&) override;
    void on_header_impl(error_code&) override {}
    void on_body_init_impl(const boost::optional<std::uint64_t>& content_length, error_code&) override;
    std::size_t on_body_impl(string_view body, error_code&) override;
    void on_chunk_header_impl(std::uint64_t, string_view, error_code&) override {}
    std::size_t on_chunk_body_impl(std::uint64_t, string_view body, error_code&) override;
    void on_finish_impl(error_code&) override {}

    parsed_request& out_;
};

}  // namespace keel::http::detail
