#pragma once
// A request as the server read it: method, target, version, header fields and body. Shared by
// the connection loop (which parses into it), the dispatcher and request's header lookups.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <boost/beast/http/field.hpp>
#include <boost/beast/http/verb.hpp>

namespace keel::http::detail {

/// The fields live in one string, each as the lengths of its name and value followed by them,
/// and are found by scanning names: a request has a dozen fields at most, and a balanced tree of
/// allocated nodes per request (Beast's basic_fields) cost a sixth of a plaintext request's
/// instructions.
class parsed_request {
public:
    using field = boost::beast::http::field;
    using verb = boost::beast::http::verb;

    verb method = verb::unknown;
    /// 10 for HTTP/1.0, 11 for HTTP/1.1; 0 until the request line is read.
    unsigned version = 0;
    std::string body;

    /// Ready for the next request; keeps the memory of a small one.
    void clear();
    /// Ready for the next request, holding no memory.
    void release();
    void set_request_line(std::string_view method_text, std::string_view target);
    void add_field(std::string_view name, std::string_view value);

    std::string_view method_text() const { return text(0, method_length_); }
    std::string_view target() const { return text(method_length_, target_length_); }

    /// The first value of the field named `name` (ASCII case-insensitive), or nullopt.
    std::optional<std::string_view> find(std::string_view name) const;
    std::optional<std::string_view> find(field known) const { return find(to_string(known)); }
    std::size_t count(field known) const;
    /// Calls `visit(name, value)` for each field, in order.
    template <class Visit>
    void for_each_field(Visit visit) const
    {
        for (std::size_t at = fields_at(); at < bytes_.size();) {
            const record r = read_record(at);
            visit(r.name, r.value);
            at = r.next;
        }
    }
    /// Calls `visit(value)` for each field `known`, in order.
    template <class Visit>
    void for_each(field known, Visit visit) const
    {
        for_each_field([&, name = to_string(known)](std::string_view n, std::string_view value) {
            if (same_name(n, {name.data(), name.size()}))
                visit(value);
        });
    }

private:
    struct record {
        std::string_view name, value;
        std::size_t next;
    };
    static bool same_name(std::string_view a, std::string_view b);
    record read_record(std::size_t at) const;
    std::size_t fields_at() const { return method_length_ + target_length_; }
    std::string_view text(std::size_t at, std::size_t length) const { return {bytes_.data() + at, length}; }
    static std::string_view to_string(field known)
    {
        const auto name = boost::beast::http::to_string(known);
        return {name.data(), name.size()};
    }

    std::string bytes_;  // method, target, then a record per field
    std::uint32_t method_length_ = 0, target_length_ = 0;
};

}  // namespace keel::http::detail
