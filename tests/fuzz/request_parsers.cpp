// Fuzz target: keel's plain-request parser against Beast's, which it stands in for on the common
// request. Invariant: whatever parse_plain_request accepts, Beast's parser accepts too, as one
// whole request of the same length, with the same method, target, version, fields in order and
// keep-alive. (What it declines goes to Beast, so declining is always safe.)
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "check.hpp"
#include "http/request_parser.hpp"

namespace {

using keel::fuzz::check;
using keel::http::detail::parsed_request;
using keel::http::detail::request_parser;

constexpr std::size_t header_limit = 8 * 1024;

// The fields of `request` as "name\0value\0…", in order.
std::string fields_of(const parsed_request& request)
{
    std::string out;
    request.for_each_field([&](std::string_view name, std::string_view value) {
        out.append(name).append(1, '\0').append(value).append(1, '\0');
    });
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    parsed_request plain;
    const auto accepted = keel::http::detail::parse_plain_request(input, header_limit, plain);
    if (!accepted)
        return 0;
    parsed_request general;
    request_parser beast(general);
    beast.header_limit(header_limit);
    beast.eager(true);
    boost::beast::error_code ec;
    const std::size_t used = beast.put(boost::asio::buffer(input.data(), input.size()), ec);
    check(!ec, "Beast refuses a request the plain parser accepted", ec.message());
    check(beast.is_done(), "Beast does not find the request whole where the plain parser does");
    check(used == accepted->used, "the parsers read requests of different lengths");
    check(general.method == plain.method && general.version == plain.version, "the parsers read another method or version");
    check(general.method_text() == plain.method_text() && general.target() == plain.target(),
          "the parsers read another method text or target");
    check(fields_of(general) == fields_of(plain), "the parsers read other fields");
    check(beast.keep_alive() == accepted->keep_alive, "the parsers disagree on keep-alive");
    check(general.body.empty(), "Beast reads a body the plain parser does not");
    return 0;
}
