#pragma once
// JSON Schema (2020-12) of the types keel binds and writes, derived from the same declarations
// as binding (from_json, from_text) and writing (write_json), so that it says exactly what is
// accepted and produced: lengths, patterns, ranges, required members, null, date-time.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <typeinfo>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <keel/model/json.hpp>

namespace keel::model {

/// A request's schema and a response's differ in one way: an optional member may be left out of
/// a request, but keel always writes it (null when empty).
enum class schema_use { input, output };

/// The schemas of described structs, each defined once under a name and referenced with $ref
/// (OpenAPI's components/schemas). A struct whose two uses differ (it has optional members)
/// gets a second definition, "<name>-Output", for responses.
class schema_set {
public:
    explicit schema_set(std::string ref_prefix = "#/components/schemas/");

    /// T's schema: a scalar's inline, a described struct's as {"$ref": …} with its definition
    /// added (recursively, once per struct and use). T: what model::from_json accepts.
    template <class T>
    boost::json::value schema(schema_use use);

    /// Adds a definition written elsewhere (the error bodies); its name is then taken.
    void define(const std::string& name, boost::json::object schema);
    const boost::json::object& definitions() const noexcept { return definitions_; }

    /// For the templates below: the reference to type `type`'s definition for `use`, and whether
    /// the caller must now write it (the first time). `type_name` is its demangled C++ name.
    struct claim {
        boost::json::value ref;
        std::string name;
        bool is_new = false;
    };
    claim claim_definition(const std::type_info& type, std::string_view type_name, schema_use use, bool differs_by_use);

private:
    std::string ref_prefix_;
    boost::json::object definitions_;
    std::map<std::string, const std::type_info*> owners_;  // definition name → its struct (null: define())
};

namespace detail {
boost::json::value string_schema(std::size_t min_length, std::size_t max_length, std::string_view pattern);
boost::json::value integer_schema(const whole_number& min, const whole_number& max);
boost::json::value number_schema(std::string_view format);
boost::json::value boolean_schema();
boost::json::value date_time_schema();
boost::json::value nullable_schema(boost::json::value inner);
boost::json::value array_schema(boost::json::value items);
std::string demangled_name(const std::type_info& type);
void add_property(boost::json::object& object_schema, std::string_view name, boost::json::value schema, bool required);
boost::json::object object_schema(std::string_view title);

/// Whether a request may leave out some member of T, which a response never does.
template <class T>
constexpr bool input_may_omit()
{
    bool found = false;
    boost::mp11::mp_for_each<public_members<T>>([&](auto member) {
        found = found || may_omit<T, decltype(member)>();
    });
    return found;
}

/// T's object schema (Key: T, or partial<T> whose members are all optional, both ways: it is
/// bound and written with the members sent). A member with a default says so ("default").
template <class T, class Key = T>
boost::json::value struct_schema(schema_set& set, schema_use use)
{
    constexpr bool partial = !std::is_same_v<T, Key>;
    const std::string type_name = demangled_name(typeid(T)) + (partial ? "-Partial" : "");
    auto claimed = set.claim_definition(typeid(Key), type_name, use, !partial && input_may_omit<T>());
    if (!claimed.is_new)
        return std::move(claimed.ref);
    boost::json::object schema = object_schema(claimed.name);
    boost::mp11::mp_for_each<public_members<T>>([&](auto member) {
        using field = member_type<T, decltype(member)>;
        constexpr bool has_default = model::has_default<T, decltype(member)::pointer>();
        // from_json: an optional member or one with a default may be absent; write_json writes them all.
        const bool required = !partial && (use == schema_use::output || !may_omit<T, decltype(member)>());
        auto property = set.schema<field>(use);
        if constexpr (has_default)
            if (!partial)  // in a PATCH an absent member stays as it is: no default to fill in
                property.as_object()["default"] = to_json(T{}.*member.pointer);
        add_property(schema, member.name, std::move(property), required);
    });
    set.define(claimed.name, std::move(schema));
    return std::move(claimed.ref);
}
}  // namespace detail

template <class T>
boost::json::value schema_set::schema(schema_use use)
{
    using namespace detail;
    if constexpr (std::same_as<T, bool>)
        return boolean_schema();
    else if constexpr (std::same_as<T, std::string>)
        return string_schema(0, std::numeric_limits<std::size_t>::max(), {});
    else if constexpr (is_text<T>::value)
        return string_schema(T::min_length, T::max_length, T::pattern);
    else if constexpr (std::same_as<raw_t<T>, whole_number>)
        return integer_schema(int_limits<T>::min, int_limits<T>::max);
    else if constexpr (std::floating_point<T>)
        return number_schema(sizeof(T) == sizeof(float) ? "float" : "double");
    else if constexpr (std::same_as<T, timestamp>)
        return date_time_schema();
    else if constexpr (is_optional<T>::value)
        return nullable_schema(schema<typename T::value_type>(use));
    else if constexpr (is_vector<T>::value)
        return array_schema(schema<typename T::value_type>(use));
    else if constexpr (is_partial<T>::value)
        return struct_schema<typename T::value_type, T>(*this, use);
    else if constexpr (described_struct<T>)
        return struct_schema<T>(*this, use);
    else
        static_assert(sizeof(T) == 0, "keel::model::schema_set: unsupported type");
}

/// T's schema as a request accepts it; as a function, so that routes can record it.
template <class T>
boost::json::value input_schema(schema_set& set)
{
    return set.schema<T>(schema_use::input);
}
/// T's schema as keel writes it in a response.
template <class T>
boost::json::value output_schema(schema_set& set)
{
    return set.schema<T>(schema_use::output);
}

/// The query parameters of `http::query<T>`: an object schema, inline, with a property per member
/// of T, none required (an absent parameter keeps its default), each with its "default" as a
/// default-constructed T has it. An optional member is its value type (text has no null) with no
/// default when empty.
template <class T>
boost::json::value parameters_schema(schema_set& set)
{
    boost::json::object out = detail::object_schema({});
    const T defaults{};
    boost::mp11::mp_for_each<detail::public_members<T>>([&](auto member) {
        using field = std::remove_cvref_t<decltype(defaults.*member.pointer)>;
        boost::json::value schema;
        const auto& value = defaults.*member.pointer;
        if constexpr (detail::is_optional<field>::value) {
            schema = set.schema<typename field::value_type>(schema_use::input);
            if (value)
                schema.as_object()["default"] = to_json(*value);
        } else {
            schema = set.schema<field>(schema_use::input);
            schema.as_object()["default"] = to_json(value);
        }
        detail::add_property(out, member.name, std::move(schema), false);
    });
    return out;
}

}  // namespace keel::model
