#include "http/parsed_request.hpp"

#include <algorithm>
#include <cstring>

#include "core/ascii.hpp"
#include "http/request_parser.hpp"

namespace keel::http::detail {

namespace {

// A field's record: the lengths of its name and value; the text follows.
struct record_head {
    std::uint32_t name_length, value_length;
};
constexpr std::size_t record_head_size = 2 * sizeof(std::uint32_t);
// The memory a typical request's head needs, kept for the next request on the connection.
constexpr std::size_t kept_capacity = 1024;

std::string_view to_std(boost::beast::string_view s) { return {s.data(), s.size()}; }

}  // namespace

void parsed_request::clear()
{
    method = verb::unknown;
    version = 0;
    method_length_ = target_length_ = 0;
    bytes_.clear();
    if (bytes_.capacity() > kept_capacity)
        std::string().swap(bytes_);
    std::string().swap(body);  // a body's memory is not kept: most requests have none
}

void parsed_request::release()
{
    clear();
    std::string().swap(bytes_);
}

void parsed_request::set_request_line(std::string_view method_text, std::string_view target)
{
    bytes_.clear();
    bytes_.reserve(256);  // one allocation for a typical request's fields, not one per doubling
    bytes_.append(method_text).append(target);
    method_length_ = static_cast<std::uint32_t>(method_text.size());
    target_length_ = static_cast<std::uint32_t>(target.size());
}

void parsed_request::add_field(std::string_view name, std::string_view value)
{
    const record_head head{static_cast<std::uint32_t>(name.size()), static_cast<std::uint32_t>(value.size())};
    const std::size_t at = bytes_.size();
    bytes_.resize(at + record_head_size + name.size() + value.size());  // one growth check, not three
    char* raw = bytes_.data() + at;
    std::memcpy(raw, &head.name_length, sizeof head.name_length);
    std::memcpy(raw + sizeof head.name_length, &head.value_length, sizeof head.value_length);
    std::copy(value.begin(), value.end(), std::copy(name.begin(), name.end(), raw + record_head_size));
}

parsed_request::record parsed_request::read_record(std::size_t at) const
{
    record_head head;
    const char* raw = bytes_.data() + at;
    std::memcpy(&head.name_length, raw, sizeof head.name_length);
    std::memcpy(&head.value_length, raw + sizeof head.name_length, sizeof head.value_length);
    const std::size_t name_at = at + record_head_size;
    return {text(name_at, head.name_length), text(name_at + head.name_length, head.value_length),
            name_at + head.name_length + head.value_length};
}

bool parsed_request::same_name(std::string_view a, std::string_view b) { return keel::detail::same_ignoring_case(a, b); }

std::optional<std::string_view> parsed_request::find(std::string_view name) const
{
    for (std::size_t at = fields_at(); at < bytes_.size();) {
        const record r = read_record(at);
        if (same_name(r.name, name))
            return r.value;
        at = r.next;
    }
    return std::nullopt;
}

std::size_t parsed_request::count(field known) const
{
    std::size_t n = 0;
    for_each(known, [&](std::string_view) { ++n; });
    return n;
}

void request_parser::on_request_impl(boost::beast::http::verb method, string_view method_text, string_view target,
                                     int version, error_code&)
{
    out_.method = method;
    out_.version = static_cast<unsigned>(version);
    out_.set_request_line(to_std(method_text), to_std(target));
}

void request_parser::on_field_impl(boost::beast::http::field, string_view name, string_view value, error_code&)
{
    out_.add_field(to_std(name), to_std(value));
}

void request_parser::on_body_init_impl(const boost::optional<std::uint64_t>& content_length, error_code&)
{
    if (content_length)  // within the body limit: the base class checked it
        out_.body.reserve(static_cast<std::size_t>(*content_length));
}

std::size_t request_parser::on_body_impl(string_view body, error_code&)
{
    out_.body.append(body.data(), body.size());
    return body.size();
}

std::size_t request_parser::on_chunk_body_impl(std::uint64_t, string_view body, error_code&)
{
    out_.body.append(body.data(), body.size());
    return body.size();
}

}  // namespace keel::http::detail
