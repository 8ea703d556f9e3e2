#pragma once
// How a handler's parameters are provided: each parameter type has a resolver that produces it
// from the request context. The handler's signature is the specification (FastAPI's Depends).
#include <concepts>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <typeindex>
#include <unordered_map>
#include <utility>
#include <vector>

#include <boost/core/demangle.hpp>
#include <boost/json/value.hpp>

#include <keel/core/task.hpp>
#include <keel/db/pool.hpp>
#include <keel/db/session.hpp>
#include <keel/http/error.hpp>
#include <keel/http/handler_schema.hpp>
#include <keel/http/params.hpp>
#include <keel/http/request.hpp>
#include <keel/http/response.hpp>
#include <keel/http/route_doc.hpp>
#include <keel/model/json.hpp>
#include <keel/model/schema.hpp>

namespace keel::http {

/// Objects shared by every request, by type: the settings, the database pool, a password hasher.
/// A handler parameter `const T&` receives the object provided for T.
class app_state {
public:
    template <class T>
    void provide(std::shared_ptr<T> object)
    {
        objects_[typeid(T)] = std::move(object);
    }
    /// The object provided for T, or nullptr.
    template <class T>
    T* find() const
    {
        auto it = objects_.find(typeid(T));
        return it == objects_.end() ? nullptr : static_cast<T*>(it->second.get());
    }
    bool has(std::type_index type) const { return objects_.contains(type); }

private:
    std::unordered_map<std::type_index, std::shared_ptr<void>> objects_;
};

/// Everything resolvers need for one request. The server owns it; handlers never see it.
struct request_context {
    const http::request& request;
    std::span<const std::string_view> path_values;
    std::span<const std::string> path_names;
    const app_state& state;
    std::size_t next_path_param = 0;
    model::issue_list issues;            // every binding problem, reported together as one 422
    std::optional<db::session> session;  // at most one per request; committed by the server
    /// Headers a dependency adds to the handler's response (a rate limit's RateLimit-*).
    std::vector<std::pair<std::string, std::string>> response_headers;
};

/// What a handler needs from its route and its app, read from its signature when it is
/// registered, so that wiring mistakes fail at start-up rather than on every request.
struct handler_needs {
    /// path<> parameters, its own and its dependencies': the route must have as many {names}.
    std::size_t path_params = 0;
    /// Objects it takes as `const T&` (db::pool for a session), with their type names.
    std::vector<std::pair<std::type_index, std::string>> provided;
    /// Its inputs, result, other statuses and security, for the OpenAPI document.
    handler_schema schema;

    template <class T>
    void provided_object()
    {
        provided.emplace_back(typeid(T), boost::core::demangle(typeid(T).name()));
    }
};

namespace detail {
/// Parses the body as FastAPI does: JSON when the content type is JSON or absent, anything else
/// as an object-less input; adds json_invalid / missing issues. Defined in src/http/body.cpp.
std::optional<boost::json::value> parse_json_body(request_context& ctx);
[[noreturn]] void throw_missing_state(const char* type_name);

/// Decoded (name, value) pairs in their order, as WHATWG's application/x-www-form-urlencoded
/// parser gives them: split on '&', then the first '=', '+' is a space, %XX escapes decoded.
using form_fields = std::vector<std::pair<std::string, std::string>>;
form_fields parse_form(std::string_view body);
/// The request body's form fields. Throws http::error 415 when it has a Content-Type other than
/// application/x-www-form-urlencoded (without one, the body is read as a form).
form_fields read_form_body(const http::request& request);
/// The first value of the field `name`, or nullptr.
const std::string* find_form_field(const form_fields& fields, std::string_view name);
}  // namespace detail

/// Resolves a handler parameter of type T. Specialise it (with `resolve(request_context&)` and
/// `describe(handler_needs&)`), or give T a static `task<T> resolve(Deps...)` whose parameters are
/// resolved in turn (a dependency of yours).
template <class T>
struct resolver {
    static_assert(sizeof(T) == 0,
                  "keel: a handler parameter must be path<T>, query<T>, body<T>, form<T>, db::session&, const http::request&, "
                  "const T& provided to the app (app.provide), or a type with a static task<T> resolve(...) "
                  "(see the instantiation below for the parameter)");
    // Enough for the rest to compile, so that the assertion above is the only error shown.
    struct stored {
        operator T() const;
    };
    static void describe(handler_needs&) {}
    static task<stored> resolve(request_context&);
};

namespace detail {
template <class T>
inline constexpr bool described_v = model::described_struct<T>;

/// A type's own additions to a route's documentation: `static void describe(handler_needs&)`
/// (security::bearer says it needs a token; a token request form names its endpoint).
template <class T>
void describe_own(handler_needs& needs)
{
    if constexpr (requires { T::describe(needs); })
        T::describe(needs);
}
}  // namespace detail

template <class T>
struct resolver<path<T>> {
    using stored = path<T>;
    static void describe(handler_needs& needs)
    {
        ++needs.path_params;
        model::check_patterns<T>("path");
        needs.schema.path.push_back(&model::input_schema<T>);
    }
    static task<stored> resolve(request_context& ctx)
    {
        const std::size_t i = ctx.next_path_param++;
        if (i >= ctx.path_values.size())
            throw std::logic_error("handler has more path<> parameters than its route has {names}");
        boost::json::array loc{"path", ctx.path_names[i]};
        auto value = model::from_text<T>(ctx.path_values[i], loc, ctx.issues);
        co_return value ? stored(std::move(*value)) : stored();
    }
};

template <class T>
struct resolver<query<T>> {
    static_assert(detail::described_v<T>,
                  "keel: http::query<T> needs T to be a described struct (its members are the query parameters): "
                  "add BOOST_DESCRIBE_STRUCT(T, (), (member, ...)) after T");
    using stored = query<T>;
    static void describe(handler_needs& needs)
    {
        model::check_patterns<T>("query");
        needs.schema.query.push_back(&model::parameters_schema<T>);
    }
    static task<stored> resolve(request_context& ctx)
    {
        T out{};
        boost::mp11::mp_for_each<model::detail::public_members<T>>([&](auto member) {
            using field = model::detail::member_type<T, decltype(member)>;
            auto text = ctx.request.query_param(member.name);
            if (!text)
                return;  // absent: the member's default stands
            boost::json::array loc{"query", member.name};
            if (auto value = model::from_text<field>(*text, loc, ctx.issues))
                out.*member.pointer = std::move(*value);
        });
        co_return stored(std::move(out));
    }
};

template <class T>
struct resolver<body<T>> {
    static_assert(detail::described_v<T> || model::detail::is_vector<T>::value || model::detail::is_partial<T>::value,
                  "keel: http::body<T> needs T to be a described struct (or a std::vector of values, or keel::partial<U>): add "
                  "BOOST_DESCRIBE_STRUCT(T, (), (member, ...)) after T");
    using stored = body<T>;
    static void describe(handler_needs& needs)
    {
        model::check_patterns<T>("body");
        needs.schema.body = {&model::input_schema<T>, "application/json"};
    }
    static task<stored> resolve(request_context& ctx)
    {
        auto json = detail::parse_json_body(ctx);
        if (!json)
            co_return stored();
        auto value = model::from_json<T>(*json, boost::json::array{"body"}, ctx.issues);
        co_return value ? stored(std::move(*value)) : stored();
    }
};

template <class T>
struct resolver<form<T>> {
    static_assert(detail::described_v<T>,
                  "keel: http::form<T> needs T to be a described struct (its members are the form fields): "
                  "add BOOST_DESCRIBE_STRUCT(T, (), (member, ...)) after T");
    using stored = form<T>;
    static void describe(handler_needs& needs)
    {
        model::check_patterns<T>("body");
        needs.schema.body = {&model::input_schema<T>, "application/x-www-form-urlencoded"};
        needs.schema.add_response(415, "Unsupported Media Type: the body is not application/x-www-form-urlencoded");
        detail::describe_own<T>(needs);
    }
    static task<stored> resolve(request_context& ctx)
    {
        const detail::form_fields fields = detail::read_form_body(ctx.request);
        T out{};
        boost::mp11::mp_for_each<model::detail::public_members<T>>([&](auto member) {
            using field = model::detail::member_type<T, decltype(member)>;
            boost::json::array loc{"body", member.name};
            const std::string* text = detail::find_form_field(fields, member.name);
            if (!text) {
                if constexpr (!model::detail::may_omit<T, decltype(member)>())
                    model::detail::add_missing(ctx.issues, loc);
                return;
            }
            if (auto value = model::from_text<field>(*text, loc, ctx.issues))
                out.*member.pointer = std::move(*value);
        });
        co_return stored(std::move(out));
    }
};

/// The request's database session, from the provided db::pool. The server commits it after the
/// handler returns and rolls it back if the handler throws.
template <>
struct resolver<db::session&> {
    using stored = db::session*;
    static void describe(handler_needs& needs) { needs.provided_object<db::pool>(); }
    static task<stored> resolve(request_context& ctx)
    {
        if (!ctx.session) {
            auto* pool = ctx.state.find<db::pool>();
            if (!pool)
                detail::throw_missing_state("keel::db::pool");
            ctx.session.emplace(pool->make_session());
        }
        co_return &*ctx.session;
    }
};

template <>
struct resolver<const http::request&> {
    using stored = const http::request*;
    static void describe(handler_needs&) {}
    static task<stored> resolve(request_context& ctx) { co_return &ctx.request; }
};

/// `const T&` for an object provided to the app (settings, hasher, …).
template <class T>
    requires(!std::same_as<T, http::request>)
struct resolver<const T&> {
    using stored = const T*;
    static void describe(handler_needs& needs) { needs.provided_object<T>(); }
    static task<stored> resolve(request_context& ctx)
    {
        const T* object = ctx.state.find<T>();
        if (!object)
            detail::throw_missing_state(typeid(T).name());
        co_return object;
    }
};

namespace detail {
// Storage → handler argument: a pointer is dereferenced, a user dependency taken out of its optional.
template <class T>
decltype(auto) unwrap(T& stored)
{
    if constexpr (std::is_pointer_v<T>)
        return *stored;
    else if constexpr (model::detail::is_optional<T>::value)
        return std::move(*stored);
    else
        return std::move(stored);
}

template <class F>
struct signature : signature<decltype(&F::operator())> {};
template <class R, class... A>
struct signature<R (*)(A...)> {
    using result = R;
    using args = std::tuple<A...>;
};
template <class R, class... A>
struct signature<R(A...)> : signature<R (*)(A...)> {};
template <class C, class R, class... A>
struct signature<R (C::*)(A...) const> : signature<R (*)(A...)> {};
template <class C, class R, class... A>
struct signature<R (C::*)(A...)> : signature<R (*)(A...)> {};

template <class Fn, class... Args>
task<task_value_t<std::invoke_result_t<Fn&, Args...>>> call_resolved(Fn& fn, request_context& ctx)
{
    // Braced initialisation evaluates left to right: parameters resolve in declaration order.
    std::tuple<typename resolver<Args>::stored...> resolved{co_await resolver<Args>::resolve(ctx)...};
    if (!ctx.issues.empty())
        throw model::validation_error(std::move(ctx.issues));
    co_return co_await std::apply([&](auto&... s) { return fn(unwrap(s)...); }, resolved);
}

template <class T> struct is_created : std::false_type {};
template <class T> struct is_created<created<T>> : std::true_type {};
template <class T> struct is_with_headers : std::false_type {};
template <class T> struct is_with_headers<with_headers<T>> : std::true_type {};

template <class Fn, class Tuple>
struct caller;
template <class Fn, class... Args>
struct caller<Fn, std::tuple<Args...>> {
    static auto call(Fn& fn, request_context& ctx)
    {
        if constexpr (sizeof...(Args) == 0)
            return fn();  // nothing to resolve: the handler's own coroutine, one frame fewer
        else
            return call_resolved<Fn, Args...>(fn, ctx);
    }
    static void describe(handler_needs& needs) { (resolver<Args>::describe(needs), ...); }
};

template <class T> struct is_task : std::false_type {};
template <class T> struct is_task<task<T>> : std::true_type {};
}  // namespace detail

/// A user dependency: a type with `static task<T> resolve(Deps...)`, and optionally
/// `static void describe(handler_needs&)` to add to the documentation of routes that take it.
template <class T>
    requires requires { &T::resolve; }
struct resolver<T> {
    using stored = std::optional<T>;
    static void describe(handler_needs& needs)
    {
        using fn = decltype(&T::resolve);
        static_assert(detail::is_task<typename detail::signature<fn>::result>::value,
                      "keel: a dependency's resolve must be a coroutine returning keel::task<T>");
        detail::caller<fn, typename detail::signature<fn>::args>::describe(needs);
        detail::describe_own<T>(needs);
    }
    static task<stored> resolve(request_context& ctx)
    {
        if (!ctx.issues.empty())
            co_return std::nullopt;  // the request is already a 422: don't run dependencies
        auto fn = &T::resolve;
        co_return co_await detail::caller<decltype(fn), typename detail::signature<decltype(fn)>::args>::call(fn, ctx);
    }
};

/// Turns a handler's result into a response: response as is, created<T> → 201, with_headers<T>
/// → 200 with its headers, void → 204, anything else → 200 with its JSON.
template <class R>
response to_response(R&& value)
{
    using T = std::remove_cvref_t<R>;
    if constexpr (std::same_as<T, response>)
        return std::forward<R>(value);
    else if constexpr (detail::is_created<T>::value)
        return response{201, model::to_json_text(value.value), "application/json", {}};
    else if constexpr (detail::is_with_headers<T>::value)
        return response{200, model::to_json_text(value.value), "application/json", std::move(value.headers)};
    else
        return response{200, model::to_json_text(value), "application/json", {}};
}

/// What the router stores: a handler with its parameters resolved from the request context, and
/// what it needs (checked when it is registered and when the app starts).
struct route_handler {
    std::function<task<response>(request_context&)> call;
    handler_needs needs;
    route_doc doc;
};

namespace detail {
/// What dependencies added (a rate limit's RateLimit-* headers) goes on the handler's response.
inline void add_dependency_headers(response& out, request_context& ctx)
{
    for (auto& header : ctx.response_headers)
        out.headers.push_back(std::move(header));
}

/// The success status and body schema a result type R gives (see to_response).
template <class R>
void describe_result(handler_schema& schema)
{
    if constexpr (std::is_void_v<R>) {
        schema.status = 204;
    } else if constexpr (is_created<R>::value) {
        schema.status = 201;
        schema.result = &model::output_schema<decltype(R::value)>;
    } else if constexpr (is_with_headers<R>::value) {
        schema.result = &model::output_schema<decltype(R::value)>;
    } else if constexpr (!std::same_as<R, response>) {
        schema.result = &model::output_schema<R>;
    }
}

// Resolves the parameters, runs the handler and makes its result a response: one coroutine
// frame between the dispatcher and the handler's own.
template <class R, class Fn, class... Args>
task<response> respond(Fn& fn, request_context& ctx)
{
    // Braced initialisation evaluates left to right: parameters resolve in declaration order.
    std::tuple<typename resolver<Args>::stored...> resolved{co_await resolver<Args>::resolve(ctx)...};
    if (!ctx.issues.empty())
        throw model::validation_error(std::move(ctx.issues));
    auto run = [&] { return std::apply([&](auto&... s) { return fn(unwrap(s)...); }, resolved); };
    if constexpr (std::is_void_v<R>) {
        co_await run();
        response answer{204, {}, {}, {}};
        add_dependency_headers(answer, ctx);
        co_return answer;
    } else {
        // Named, not nested in the co_return: g++ 12 frees such a temporary too early.
        R result = co_await run();
        response answer = to_response(std::move(result));
        add_dependency_headers(answer, ctx);
        co_return answer;
    }
}

template <class R, class Fn, class Tuple>
struct responder;
template <class R, class Fn, class... Args>
struct responder<R, Fn, std::tuple<Args...>> {
    static std::function<task<response>(request_context&)> make(Fn fn)
    {
        if constexpr (sizeof...(Args) == 0 && std::same_as<R, response>)
            return [fn = std::move(fn)](request_context&) mutable { return fn(); };  // nothing to add: its own task
        else
            return [fn = std::move(fn)](request_context& ctx) mutable { return respond<R, Fn, Args...>(fn, ctx); };
    }
};

template <class F>
route_handler wrap_handler(F fn)
{
    using sig = signature<std::decay_t<F>>;
    using R = task_value_t<typename sig::result>;
    route_handler out;
    caller<F, typename sig::args>::describe(out.needs);
    describe_result<R>(out.needs.schema);
    out.call = responder<R, F, typename sig::args>::make(std::move(fn));
    return out;
}
}  // namespace detail

/// Wraps a handler (function or lambda returning task<R>) into a route_handler. Throws
/// std::invalid_argument for a text<> pattern of its inputs that does not compile.
template <class F>
route_handler make_handler(F fn)
{
    constexpr bool coroutine = detail::is_task<typename detail::signature<std::decay_t<F>>::result>::value;
    static_assert(coroutine, "keel: a handler must be a coroutine returning keel::task<T> (use co_return, not return)");
    if constexpr (coroutine)
        return detail::wrap_handler(std::move(fn));
    else
        return {};
}

}  // namespace keel::http
