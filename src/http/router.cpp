#include <keel/http/router.hpp>

#include <algorithm>
#include <cstdint>
#include <stdexcept>

#include <boost/container/small_vector.hpp>
#include <fmt/format.h>

namespace keel::http {

namespace {

constexpr std::string_view param_marker = "{}";

using path_parts = boost::container::small_vector<std::string_view, 8>;

path_parts split_path(std::string_view path)
{
    path_parts parts;
    if (path.empty() || path.front() != '/')
        return parts;
    path.remove_prefix(1);
    for (;;) {
        auto slash = path.find('/');
        parts.push_back(path.substr(0, slash));
        if (slash == std::string_view::npos)
            break;
        path.remove_prefix(slash + 1);
    }
    return parts;
}

std::string_view method_token(method m)
{
    switch (m) {
    case method::get: return "GET";
    case method::head: return "HEAD";
    case method::post: return "POST";
    case method::put: return "PUT";
    case method::patch: return "PATCH";
    case method::delete_: return "DELETE";
    case method::options: return "OPTIONS";
    default: return "";
    }
}

}  // namespace

void router::add(method m, std::string_view path_template, route_handler handler, route_doc doc)
{
    if (frozen_)
        throw std::logic_error("route " + std::string(method_token(m)) + " " + std::string(path_template) +
                               " added after the server started: register every route before start()");
    if (path_template.empty() || path_template.front() != '/')
        throw std::invalid_argument("route '" + std::string(path_template) + "' must start with '/'");
    std::vector<std::string> segments, names;
    for (auto part : split_path(path_template)) {
        if (part.size() >= 2 && part.front() == '{' && part.back() == '}') {
            auto name = part.substr(1, part.size() - 2);
            if (name.empty() || name.find_first_of("{}/") != std::string_view::npos)
                throw std::invalid_argument("route '" + std::string(path_template) + "': bad parameter '" + std::string(part) + "'");
            segments.emplace_back(param_marker);
            names.emplace_back(name);
        } else {
            if (part.find_first_of("{}") != std::string_view::npos)
                throw std::invalid_argument("route '" + std::string(path_template) + "': a parameter must be a whole segment");
            segments.emplace_back(part);
        }
    }
    if (handler.needs.path_params != names.size())
        throw std::invalid_argument(fmt::format(
            "route {} {}: the template has {} {{name}} segment(s) but the handler takes {} path<> parameter(s); "
            "the N-th path<> is the N-th {{name}}",
            method_token(m), path_template, names.size(), handler.needs.path_params));
    auto same = std::find_if(routes_.begin(), routes_.end(), [&](const route& r) { return r.segments == segments; });
    if (same == routes_.end()) {
        if (names.empty()) {
            const std::pair<std::string, std::size_t> entry{std::string(path_template), routes_.size()};
            literal_routes_.insert(std::upper_bound(literal_routes_.begin(), literal_routes_.end(), entry), entry);
        }
        routes_.push_back(route{std::string(path_template), std::move(segments), std::move(names), {}});
        same = routes_.end() - 1;
    } else if (same->names != names) {
        throw std::invalid_argument("route '" + std::string(path_template) + "' clashes with '" + same->path_template + "'");
    }
    for (const auto& [existing, unused] : same->handlers)
        if (existing == m)
            throw std::invalid_argument("route " + std::string(method_token(m)) + " " + std::string(path_template) + " is registered twice");
    handler.doc = std::move(doc);
    same->handlers.emplace_back(m, std::move(handler));
}

std::vector<router::route_view> router::routes() const
{
    std::vector<route_view> out;
    for (const auto& r : routes_)
        for (const auto& [m, handler] : r.handlers)
            out.push_back(route_view{m, r.path_template, handler, r.names});
    return out;
}

std::string_view method_name(method m) { return method_token(m); }

router::match_result router::match(method m, std::string_view path)
{
    // Allocation-free on the way to a match: it runs for every request.
    const auto literal = std::lower_bound(literal_routes_.begin(), literal_routes_.end(), path,
                                          [](const auto& entry, std::string_view p) { return entry.first < p; });
    if (literal != literal_routes_.end() && literal->first == path) {
        route& r = routes_[literal->second];
        if (auto* handler = handler_for(r, m))  // else the full search below tells 405 from 404
            return matched{handler, &r.path_template, {}, &r.names};
    }
    const auto parts = split_path(path);
    route* best = nullptr;
    std::uint64_t best_shape = 0;  // bit 63 - i set when segment i is literal
    unsigned allowed = 0;          // bit per method registered on a route of this path
    for (auto& r : routes_) {
        if (r.segments.size() != parts.size())
            continue;
        std::uint64_t shape = 0;
        bool fits = true;
        for (std::size_t i = 0; i < parts.size() && fits; ++i) {
            const bool literal = r.segments[i] != param_marker;
            fits = literal ? r.segments[i] == parts[i] : !parts[i].empty();
            if (literal && i < 64)
                shape |= std::uint64_t{1} << (63 - i);
        }
        if (!fits)
            continue;
        bool serves = false;
        for (const auto& [hm, unused] : r.handlers) {
            allowed |= 1u << static_cast<unsigned>(hm);
            serves = serves || hm == m || (m == method::head && hm == method::get);
        }
        // A literal segment beats a parameter ("/users/me" before "/users/{id}").
        if (serves && (!best || shape > best_shape)) {
            best = &r;
            best_shape = shape;
        }
    }
    if (!best) {
        if (allowed == 0)
            return not_found{};
        if (allowed & (1u << static_cast<unsigned>(method::get)))
            allowed |= 1u << static_cast<unsigned>(method::head);
        std::string allow;
        for (method candidate : {method::get, method::head, method::post, method::put, method::patch, method::delete_, method::options})
            if (allowed & (1u << static_cast<unsigned>(candidate)))
                allow += (allow.empty() ? "" : ", ") + std::string(method_token(candidate));
        return method_not_allowed{std::move(allow)};
    }
    matched out{handler_for(*best, m), &best->path_template, {}, &best->names};
    for (std::size_t i = 0; i < parts.size(); ++i)
        if (best->segments[i] == param_marker)
            out.values.push_back(parts[i]);
    return out;
}

route_handler* router::handler_for(route& r, method m)
{
    for (auto& [hm, handler] : r.handlers)
        if (hm == m)
            return &handler;
    if (m == method::head)  // HEAD served by GET
        for (auto& [hm, handler] : r.handlers)
            if (hm == method::get)
                return &handler;
    return nullptr;
}

}  // namespace keel::http
