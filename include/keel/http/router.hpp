#pragma once
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <keel/http/depends.hpp>

namespace keel::http {

/// "GET", "POST", …
std::string_view method_name(method m);

/// Routes by method and path template: literal segments and `{name}` segments, e.g.
/// "/users/{id}". Register handlers with get/post/put/patch/del; a GET route also answers HEAD.
/// The optional route_doc documents the route in the OpenAPI document (keel/openapi).
class router {
public:
    template <class F>
    void get(std::string_view path, F handler, route_doc doc = {})
    {
        add(method::get, path, make_handler(std::move(handler)), std::move(doc));
    }
    template <class F>
    void post(std::string_view path, F handler, route_doc doc = {})
    {
        add(method::post, path, make_handler(std::move(handler)), std::move(doc));
    }
    template <class F>
    void put(std::string_view path, F handler, route_doc doc = {})
    {
        add(method::put, path, make_handler(std::move(handler)), std::move(doc));
    }
    template <class F>
    void patch(std::string_view path, F handler, route_doc doc = {})
    {
        add(method::patch, path, make_handler(std::move(handler)), std::move(doc));
    }
    template <class F>
    void del(std::string_view path, F handler, route_doc doc = {})
    {
        add(method::delete_, path, make_handler(std::move(handler)), std::move(doc));
    }

    /// Throws std::invalid_argument for a malformed template, a duplicate method + path, or a
    /// handler whose path<> parameters do not match the template's {names}; std::logic_error
    /// once the server has started (routes are read by I/O threads without a lock).
    void add(method m, std::string_view path_template, route_handler handler, route_doc doc = {});

    /// One registered handler, for start-up checks and documentation.
    struct route_view {
        method verb;
        const std::string& path_template;
        const route_handler& handler;
        /// The template's {names}, in order.
        const std::vector<std::string>& path_names;
    };
    std::vector<route_view> routes() const;

    struct matched {
        route_handler* handler;
        const std::string* path_template;
        std::vector<std::string_view> values;  // raw (percent-encoded) path values, in order
        const std::vector<std::string>* names;
    };
    struct not_found {};
    struct method_not_allowed {
        std::string allow;  // for the Allow header (RFC 9110 15.5.6)
    };
    using match_result = std::variant<matched, not_found, method_not_allowed>;

    /// Finds the route for a request; `path` is the raw path without the query string.
    match_result match(method m, std::string_view path);

protected:
    /// No route may be added from now on (the app calls it when it starts).
    void freeze() noexcept { frozen_ = true; }

private:
    bool frozen_ = false;
    struct route {
        std::string path_template;
        std::vector<std::string> segments;  // "{}" marks a parameter
        std::vector<std::string> names;
        std::vector<std::pair<method, route_handler>> handlers;
    };
    std::vector<route> routes_;
    /// Templates without {names} → their index in routes_, sorted: most requests match one of
    /// these exactly, found by a binary search instead of comparing every route's segments.
    std::vector<std::pair<std::string, std::size_t>> literal_routes_;
    static route_handler* handler_for(route& r, method m);
};

}  // namespace keel::http
