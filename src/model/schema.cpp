#include <keel/model/schema.hpp>

#include <boost/core/demangle.hpp>
#include <boost/json/array.hpp>

namespace keel::model {

namespace {

// OpenAPI 3.1 4.8.7.1: component names match ^[a-zA-Z0-9.\-_]+$.
std::string component_name(std::string_view text)
{
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == ':' && i + 1 < text.size() && text[i + 1] == ':') {
            out += '.';
            ++i;
        } else {
            const bool allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                                 c == '-' || c == '_';
            out += allowed ? c : '_';
        }
    }
    return out;
}

// "users::user_public" → "user_public"; a template keeps its arguments ("page<users::user>").
std::string_view unqualified(std::string_view name)
{
    const auto scope = name.substr(0, name.find('<')).rfind("::");
    return scope == std::string_view::npos ? name : name.substr(scope + 2);
}

}  // namespace

schema_set::schema_set(std::string ref_prefix) : ref_prefix_(std::move(ref_prefix)) {}

void schema_set::define(const std::string& name, boost::json::object schema)
{
    owners_.try_emplace(name, nullptr);
    definitions_[name] = std::move(schema);
}

schema_set::claim schema_set::claim_definition(const std::type_info& type, std::string_view type_name, schema_use use,
                                               bool differs_by_use)
{
    const std::string suffix = use == schema_use::output && differs_by_use ? "-Output" : "";
    // The short name unless another type has it; then the qualified one ("a.b.page"), unique by C++.
    std::string name = component_name(unqualified(type_name)) + suffix;
    auto owner = owners_.find(name);
    if (owner != owners_.end() && (owner->second == nullptr || *owner->second != type)) {
        name = component_name(type_name) + suffix;
        owner = owners_.find(name);
    }
    claim out{boost::json::object{{"$ref", ref_prefix_ + name}}, name, owner == owners_.end()};
    if (out.is_new)
        owners_.emplace(name, &type);  // before the members: a struct that contains itself ends here
    return out;
}

namespace detail {

boost::json::value string_schema(std::size_t min_length, std::size_t max_length, std::string_view pattern)
{
    boost::json::object out{{"type", "string"}};
    if (min_length > 0)
        out["minLength"] = min_length;
    if (max_length != std::numeric_limits<std::size_t>::max())
        out["maxLength"] = max_length;
    if (!pattern.empty())  // ECMA-262 semantics as text<> has them: a search, anchored only by ^ and $
        out["pattern"] = pattern;
    return out;
}

boost::json::value integer_schema(const whole_number& min, const whole_number& max)
{
    constexpr auto int32_min = whole_number::of(std::numeric_limits<std::int32_t>::min());
    constexpr auto int32_max = whole_number::of(std::numeric_limits<std::int32_t>::max());
    constexpr auto int64_min = whole_number::of(std::numeric_limits<std::int64_t>::min());
    constexpr auto int64_max = whole_number::of(std::numeric_limits<std::int64_t>::max());
    const auto same = [](const whole_number& a, const whole_number& b) { return a.negative == b.negative && a.magnitude == b.magnitude; };
    const auto number = [](const whole_number& v) -> boost::json::value {
        if (v.negative || v.magnitude <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
            return v.as<std::int64_t>();
        return v.magnitude;
    };
    boost::json::object out{{"type", "integer"}};
    if (same(min, int32_min) && same(max, int32_max)) {
        out["format"] = "int32";
        return out;
    }
    const bool fits_int64 = max.magnitude <= int64_max.magnitude;
    if (fits_int64)
        out["format"] = "int64";
    if (!same(min, int64_min))
        out["minimum"] = number(min);
    if (!same(max, int64_max))
        out["maximum"] = number(max);
    return out;
}

boost::json::value number_schema(std::string_view format) { return {{"type", "number"}, {"format", format}}; }

boost::json::value boolean_schema() { return {{"type", "boolean"}}; }

boost::json::value date_time_schema() { return {{"type", "string"}, {"format", "date-time"}}; }

boost::json::value nullable_schema(boost::json::value inner)
{
    return {{"anyOf", boost::json::array{std::move(inner), boost::json::object{{"type", "null"}}}}};
}

boost::json::value array_schema(boost::json::value items) { return {{"type", "array"}, {"items", std::move(items)}}; }

std::string demangled_name(const std::type_info& type) { return boost::core::demangle(type.name()); }

boost::json::object object_schema(std::string_view title)
{
    boost::json::object out;
    if (!title.empty())
        out["title"] = title;
    out["type"] = "object";
    out["properties"] = boost::json::object{};
    return out;
}

void add_property(boost::json::object& object_schema, std::string_view name, boost::json::value schema, bool required)
{
    object_schema["properties"].as_object()[name] = std::move(schema);
    if (!required)
        return;
    auto& list = object_schema["required"];
    if (list.is_null())
        list.emplace_array();
    list.as_array().emplace_back(name);
}

}  // namespace detail

}  // namespace keel::model
