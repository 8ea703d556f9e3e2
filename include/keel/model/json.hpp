#pragma once
#include <algorithm>
#include <bitset>
#include <concepts>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <boost/describe/class.hpp>
#include <boost/describe/members.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <boost/mp11/algorithm.hpp>

#include <keel/core/time.hpp>
#include <keel/model/constraints.hpp>
#include <keel/model/defaults.hpp>
#include <keel/model/members.hpp>
#include <keel/model/partial.hpp>
#include <keel/model/pattern.hpp>
#include <keel/model/validate.hpp>

namespace keel::model {

/// A struct described with BOOST_DESCRIBE_STRUCT: bound field by field, serialised as an object.
template <class T>
concept described_struct = boost::describe::has_describe_members<T>::value && std::is_class_v<T>;

namespace detail {
template <class T> struct is_optional : std::false_type {};
template <class T> struct is_optional<std::optional<T>> : std::true_type {};
template <class T> struct is_vector : std::false_type {};
template <class T, class A> struct is_vector<std::vector<T, A>> : std::true_type {};
template <class T> struct is_text : std::false_type {};
template <std::size_t A, std::size_t B, fixed_string P> struct is_text<text<A, B, P>> : std::true_type {};
template <class T> struct is_integer : std::false_type {};
template <std::int64_t A, std::int64_t B> struct is_integer<integer<A, B>> : std::true_type {};

void add_issue(issue_list& out, const boost::json::array& loc, std::string msg, std::string type,
               boost::json::object ctx = {});
boost::json::array child_loc(const boost::json::array& loc, std::string_view key);
boost::json::array child_loc(const boost::json::array& loc, std::size_t index);

/// An integer as read from JSON or text, before the target's range is checked: the sign and
/// magnitude of any value from INT64_MIN to UINT64_MAX, or `beyond` for one outside both, which
/// every integer type then rejects with its own bound (as pydantic, whose integers are unbounded).
struct whole_number {
    bool negative = false;
    std::uint64_t magnitude = 0;
    bool beyond = false;

    template <std::integral I>
    static constexpr whole_number of(I v) noexcept
    {
        // Unsigned arithmetic is modular, so 0 - u is |v| for every negative v, INT64_MIN included.
        const auto u = static_cast<std::uint64_t>(v);
        if constexpr (std::is_signed_v<I>)
            if (v < 0)
                return {true, 0 - u, false};
        return {false, u, false};
    }
    /// The value as I, exact once check_range has accepted it for I's range.
    template <std::integral I>
    constexpr I as() const noexcept
    {
        return static_cast<I>(negative ? 0 - magnitude : magnitude);
    }
};

// read_json / read_text: a scalar's raw value (std::string, bool, whole_number, double,
// timestamp: the type tag says which) from JSON or from a path/query text; each returns
// nullopt after adding an issue.
template <class Raw>
using tag = std::type_identity<Raw>;
using json_value = boost::json::value;
using location = boost::json::array;
std::optional<std::string> read_json(tag<std::string>, const json_value& v, const location& loc, issue_list& out);
std::optional<bool> read_json(tag<bool>, const json_value& v, const location& loc, issue_list& out);
std::optional<whole_number> read_json(tag<whole_number>, const json_value& v, const location& loc, issue_list& out);
std::optional<double> read_json(tag<double>, const json_value& v, const location& loc, issue_list& out);
std::optional<timestamp> read_json(tag<timestamp>, const json_value& v, const location& loc, issue_list& out);
std::optional<std::string> read_text(tag<std::string>, std::string_view s, const location& loc, issue_list& out);
std::optional<bool> read_text(tag<bool>, std::string_view s, const location& loc, issue_list& out);
std::optional<whole_number> read_text(tag<whole_number>, std::string_view s, const location& loc, issue_list& out);
std::optional<double> read_text(tag<double>, std::string_view s, const location& loc, issue_list& out);
std::optional<timestamp> read_text(tag<timestamp>, std::string_view s, const location& loc, issue_list& out);
/// Length in code points first, then the pattern (nullptr: none), so a long input costs one pass.
bool check_text(std::string_view s, std::size_t min, std::size_t max, const compiled_pattern* pattern,
                const boost::json::array& loc, issue_list& out);
bool check_range(const whole_number& v, const whole_number& min, const whole_number& max,
                 const boost::json::array& loc, issue_list& out);
bool require_object(const boost::json::value& v, const boost::json::array& loc, issue_list& out);
const boost::json::value* find_field(const boost::json::value& object, std::string_view key);
void add_missing(issue_list& out, const boost::json::array& loc);

// A scalar is read as one of five raw types, then its own constraints are applied.
template <class T> struct raw_of { using type = void; };
template <> struct raw_of<std::string> { using type = std::string; };
template <std::size_t A, std::size_t B, fixed_string P> struct raw_of<text<A, B, P>> { using type = std::string; };
template <> struct raw_of<bool> { using type = bool; };
template <std::integral I> requires(!std::same_as<I, bool>) struct raw_of<I> { using type = whole_number; };
template <std::int64_t A, std::int64_t B> struct raw_of<integer<A, B>> { using type = whole_number; };
template <std::floating_point F> struct raw_of<F> { using type = double; };
template <> struct raw_of<timestamp> { using type = timestamp; };
template <class T> using raw_t = typename raw_of<T>::type;
template <class T> concept scalar = !std::is_void_v<raw_t<T>>;

// The range an integer type accepts: its own for a built-in type, Min..Max for integer<>.
template <class I>
struct int_limits {
    static constexpr auto min = whole_number::of(std::numeric_limits<I>::min());
    static constexpr auto max = whole_number::of(std::numeric_limits<I>::max());
};
template <std::int64_t A, std::int64_t B>
struct int_limits<integer<A, B>> {
    static constexpr auto min = whole_number::of(A);
    static constexpr auto max = whole_number::of(B);
};

/// Applies T's constraints (length, pattern, range) to a raw value already read.
template <scalar T>
std::optional<T> constrain(std::optional<raw_t<T>> raw, const boost::json::array& loc, issue_list& out)
{
    if (!raw)
        return std::nullopt;
    if constexpr (is_text<T>::value) {
        const compiled_pattern* pattern = nullptr;
        if constexpr (!T::pattern.empty())
            pattern = &pattern_of<T>();
        if (!check_text(*raw, T::min_length, T::max_length, pattern, loc, out))
            return std::nullopt;
        return T(std::move(*raw));
    } else if constexpr (std::same_as<raw_t<T>, whole_number>) {
        if (!check_range(*raw, int_limits<T>::min, int_limits<T>::max, loc, out))
            return std::nullopt;
        if constexpr (is_integer<T>::value)
            return T(raw->template as<std::int64_t>());
        else
            return raw->template as<T>();
    } else {
        return static_cast<T>(std::move(*raw));
    }
}
}  // namespace detail

namespace detail {
/// Whether a request may leave out the member `Descriptor` of T: a std::optional (empty then) or
/// one keel_defaults lists (its initial value then).
template <class T, class Descriptor>
constexpr bool may_omit()
{
    return is_optional<member_type<T, Descriptor>>::value || has_default<T, Descriptor::pointer>();
}

/// The members of an object `v` bound into `result` (which starts as T{}); false after adding
/// the problems to `out`. `sent` null: a member is required unless it is optional or listed by
/// keel_defaults. `sent` given: no member is required, and the ones present are marked in it.
template <class T>
bool bind_members(const boost::json::value& v, const boost::json::array& loc, issue_list& out, T& result,
                  std::bitset<member_count<T>>* sent);
}  // namespace detail

/// Binds a JSON value to T, adding every problem to `out`; nullopt when there was any.
/// T: std::string, text<>, bool, integral, integer<>, double, keel::timestamp, std::optional<U>,
/// std::vector<U>, a described struct (a missing member is an error unless it is optional or has
/// a default: model/defaults.hpp; unknown keys are ignored, as pydantic does), or partial<U>.
template <class T>
std::optional<T> from_json(const boost::json::value& v, const boost::json::array& loc, issue_list& out)
{
    using namespace detail;
    if constexpr (scalar<T>) {
        return constrain<T>(read_json(std::type_identity<raw_t<T>>{}, v, loc, out), loc, out);
    } else if constexpr (is_optional<T>::value) {
        if (v.is_null())
            return T{};
        // inner is already a T; wrapping it whole keeps g++ 12 from a false -Wmaybe-uninitialized
        auto inner = from_json<typename T::value_type>(v, loc, out);
        if (!inner)
            return std::nullopt;
        return std::optional<T>(std::in_place, std::move(inner));
    } else if constexpr (is_vector<T>::value) {
        const auto* array = v.if_array();
        if (!array) {
            add_issue(out, loc, "Input should be a valid list", "list_type");
            return std::nullopt;
        }
        T result;
        bool ok = true;
        for (std::size_t i = 0; i < array->size(); ++i) {
            auto item = from_json<typename T::value_type>((*array)[i], child_loc(loc, i), out);
            if (item)
                result.push_back(std::move(*item));
            else
                ok = false;
        }
        return ok ? std::optional<T>(std::move(result)) : std::nullopt;
    } else if constexpr (is_partial<T>::value) {
        typename T::value_type result{};
        typename T::sent_set sent;
        if (!bind_members(v, loc, out, result, &sent))
            return std::nullopt;
        return T(std::move(result), sent);
    } else if constexpr (described_struct<T>) {
        T result{};
        if (!bind_members(v, loc, out, result, static_cast<std::bitset<member_count<T>>*>(nullptr)))
            return std::nullopt;
        return std::optional<T>(std::move(result));
    } else {
        static_assert(sizeof(T) == 0, "keel::model::from_json: unsupported type");
    }
}

template <class T>
bool detail::bind_members(const boost::json::value& v, const boost::json::array& loc, issue_list& out, T& result,
                          std::bitset<member_count<T>>* sent)
{
    if (!require_object(v, loc, out))
        return false;
    bool ok = true;
    std::size_t i = 0;
    boost::mp11::mp_for_each<public_members<T>>([&](auto member) {
        using field_type = member_type<T, decltype(member)>;
        const std::size_t position = i++;
        auto field_loc = child_loc(loc, member.name);
        const boost::json::value* field = find_field(v, member.name);
        if (!field) {
            if constexpr (!may_omit<T, decltype(member)>()) {
                if (!sent) {
                    add_missing(out, field_loc);
                    ok = false;
                }
            }
            return;
        }
        if (sent)
            sent->set(position);
        auto bound = from_json<field_type>(*field, field_loc, out);
        if (bound)
            result.*member.pointer = std::move(*bound);
        else
            ok = false;
    });
    return ok;
}

/// Binds the text of a path or query parameter to a scalar T (same types as from_json, minus
/// vectors and structs), with pydantic's messages ("Input should be a valid integer, unable to
/// parse string as an integer").
template <class T>
std::optional<T> from_text(std::string_view s, const boost::json::array& loc, issue_list& out)
{
    using namespace detail;
    if constexpr (scalar<T>) {
        return constrain<T>(read_text(std::type_identity<raw_t<T>>{}, s, loc, out), loc, out);
    } else if constexpr (is_optional<T>::value) {
        auto inner = from_text<typename T::value_type>(s, loc, out);
        return inner ? std::optional<T>(T(std::move(*inner))) : std::nullopt;
    } else {
        static_assert(sizeof(T) == 0, "keel::model::from_text: unsupported parameter type");
    }
}

namespace detail {
/// Throws std::invalid_argument naming the field at `where` if `p` did not compile.
void require_compiled(const compiled_pattern& p, std::string_view where);
std::string field_path(std::string_view where, std::string_view name);
template <class T>
inline constexpr char type_tag = 0;  // its address identifies T

// `seen` holds the described structs already walked: a struct reached twice has the same
// patterns, and a recursive one (a tree of itself) would otherwise never end.
template <class T>
void check_patterns_at(std::string_view where, std::vector<const void*>& seen)
{
    if constexpr (is_text<T>::value) {
        if constexpr (!T::pattern.empty())
            require_compiled(pattern_of<T>(), where);
    } else if constexpr (is_optional<T>::value || is_vector<T>::value || is_partial<T>::value) {
        check_patterns_at<typename T::value_type>(where, seen);
    } else if constexpr (described_struct<T>) {
        if (std::find(seen.begin(), seen.end(), &type_tag<T>) != seen.end())
            return;
        seen.push_back(&type_tag<T>);
        boost::mp11::mp_for_each<public_members<T>>([&](auto member) {
            check_patterns_at<member_type<T, decltype(member)>>(field_path(where, member.name), seen);
        });
    }
}
}  // namespace detail

/// Compiles every text<> pattern reachable from T (T itself, the members of described structs,
/// optionals, vectors) so that a bad pattern fails where routes are registered rather than on a
/// request. Throws std::invalid_argument naming the field, as `root.member.member`, and RE2's
/// error. Runs once per type at start-up; compiled patterns are kept for the requests.
template <class T>
void check_patterns(std::string_view root = {})
{
    std::vector<const void*> seen;
    detail::check_patterns_at<T>(root, seen);
}

namespace detail {
void write_string(std::string& out, std::string_view text);  // quoted and escaped as JSON
void write_integer(std::string& out, std::int64_t n);
void write_integer(std::string& out, std::uint64_t n);
void write_double(std::string& out, double d);
}  // namespace detail

template <class T>
void write_json(std::string& out, const T& v);

namespace detail {
/// `{"name":value,…}` of the members of v whose position `include(i)` accepts, in declaration order.
template <class T, class Include>
void write_members(std::string& out, const T& v, Include include)
{
    out += '{';
    bool first = true;
    std::size_t i = 0;
    boost::mp11::mp_for_each<public_members<T>>([&](auto member) {
        if (!include(i++))
            return;
        out += first ? "\"" : ",\"";
        first = false;
        out += member.name;  // a C++ identifier: nothing to escape
        out += "\":";
        write_json(out, v.*member.pointer);
    });
    out += '}';
}
}  // namespace detail

/// Appends T's JSON text (T: the types from_json accepts) to `out`, with no document in
/// between: a timestamp becomes an ISO 8601 string, an empty optional null, a non-finite
/// double null (as pydantic does), a described struct an object with its members in
/// declaration order, a partial<U> an object of the members it was sent (exclude_unset).
template <class T>
void write_json(std::string& out, const T& v)
{
    using namespace detail;
    if constexpr (std::same_as<T, bool>) {
        out += v ? "true" : "false";
    } else if constexpr (std::unsigned_integral<T>) {
        write_integer(out, static_cast<std::uint64_t>(v));
    } else if constexpr (std::integral<T>) {
        write_integer(out, static_cast<std::int64_t>(v));
    } else if constexpr (std::floating_point<T>) {
        write_double(out, static_cast<double>(v));
    } else if constexpr (std::same_as<T, std::string>) {
        write_string(out, v);
    } else if constexpr (is_text<T>::value) {
        write_string(out, v.str());
    } else if constexpr (is_integer<T>::value) {
        write_integer(out, v.get());
    } else if constexpr (std::same_as<T, timestamp>) {
        write_string(out, format_iso8601(v));
    } else if constexpr (is_optional<T>::value) {
        if (v)
            write_json(out, *v);
        else
            out += "null";
    } else if constexpr (is_vector<T>::value) {
        out += '[';
        for (std::size_t i = 0; i < v.size(); ++i) {
            if (i > 0)
                out += ',';
            write_json(out, v[i]);
        }
        out += ']';
    } else if constexpr (is_partial<T>::value) {
        write_members(out, *v, [&](std::size_t i) { return v.sent().test(i); });
    } else if constexpr (described_struct<T>) {
        write_members(out, v, [](std::size_t) { return true; });
    } else {
        static_assert(sizeof(T) == 0, "keel::model::write_json: unsupported type");
    }
}

/// T's JSON text (see write_json).
template <class T>
std::string to_json_text(const T& v)
{
    std::string out;
    write_json(out, v);
    return out;
}

/// T as a JSON document (see write_json), for code that works on boost::json values.
template <class T>
boost::json::value to_json(const T& v)
{
    return boost::json::parse(to_json_text(v));
}

}  // namespace keel::model
