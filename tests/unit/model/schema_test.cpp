// JSON Schemas of the bound types: each says exactly what binding accepts and writing produces.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <keel/model/schema.hpp>

namespace {

namespace json = boost::json;
using keel::model::schema_set;
using keel::model::schema_use;

template <class T>
json::value input()
{
    schema_set set;
    return set.schema<T>(schema_use::input);
}

struct address {
    keel::text<1, 64> city;
    std::optional<std::string> street;
};
BOOST_DESCRIBE_STRUCT(address, (), (city, street))

struct person {
    keel::integer<0, 150> age = 0;
    address home;
    std::vector<address> others;
    std::optional<keel::timestamp> born;
};
BOOST_DESCRIBE_STRUCT(person, (), (age, home, others, born))

struct tree {
    std::string label;
    std::vector<tree> children;
};
BOOST_DESCRIBE_STRUCT(tree, (), (label, children))

struct search {
    keel::integer<1, 100> limit = 20;
    std::string order = "id";
    std::optional<keel::text<1, 10>> prefix;
    bool exact = false;
};
BOOST_DESCRIBE_STRUCT(search, (), (limit, order, prefix, exact))

// pydantic's `published: bool = False`: a member that may be left out, said by keel_defaults.
struct post_in {
    keel::text<1, 100> title;
    std::string body;
    bool published = false;
    std::vector<std::string> tags;
};
BOOST_DESCRIBE_STRUCT(post_in, (), (title, body, published, tags))
constexpr auto keel_defaults(post_in*) { return keel::model::defaults(&post_in::published, &post_in::tags); }

namespace other {
struct address {
    int zip = 0;
};
BOOST_DESCRIBE_STRUCT(address, (), (zip))
}  // namespace other

TEST(schema, text_has_its_lengths_and_pattern)
{
    EXPECT_EQ((input<keel::text<3, 32, "^[a-z]+$">>()),
              json::parse(R"({"type":"string","minLength":3,"maxLength":32,"pattern":"^[a-z]+$"})"));
    EXPECT_EQ((input<keel::text<0, 10>>()), json::parse(R"({"type":"string","maxLength":10})"));
    EXPECT_EQ((input<keel::text<2>>()), json::parse(R"({"type":"string","minLength":2})"));
    EXPECT_EQ(input<std::string>(), json::parse(R"({"type":"string"})"));
}

TEST(schema, integers_have_the_range_binding_checks)
{
    EXPECT_EQ((input<keel::integer<1, 100>>()), json::parse(R"({"type":"integer","format":"int64","minimum":1,"maximum":100})"));
    EXPECT_EQ(input<keel::integer<0>>(), json::parse(R"({"type":"integer","format":"int64","minimum":0})"));
    EXPECT_EQ(input<keel::integer<>>(), json::parse(R"({"type":"integer","format":"int64"})"));
    EXPECT_EQ(input<std::int64_t>(), json::parse(R"({"type":"integer","format":"int64"})"));
    EXPECT_EQ(input<std::int32_t>(), json::parse(R"({"type":"integer","format":"int32"})"));
    EXPECT_EQ(input<std::uint8_t>(), json::parse(R"({"type":"integer","format":"int64","minimum":0,"maximum":255})"));
    EXPECT_EQ(input<std::int16_t>(), json::parse(R"({"type":"integer","format":"int64","minimum":-32768,"maximum":32767})"));
    EXPECT_EQ(input<std::uint64_t>(), json::parse(R"({"type":"integer","minimum":0,"maximum":18446744073709551615})"));
}

TEST(schema, other_scalars)
{
    EXPECT_EQ(input<bool>(), json::parse(R"({"type":"boolean"})"));
    EXPECT_EQ(input<double>(), json::parse(R"({"type":"number","format":"double"})"));
    EXPECT_EQ(input<float>(), json::parse(R"({"type":"number","format":"float"})"));
    EXPECT_EQ(input<keel::timestamp>(), json::parse(R"({"type":"string","format":"date-time"})"));
}

TEST(schema, optional_is_nullable_and_vector_is_an_array)
{
    EXPECT_EQ(input<std::optional<std::int32_t>>(), json::parse(R"({"anyOf":[{"type":"integer","format":"int32"},{"type":"null"}]})"));
    EXPECT_EQ(input<std::vector<bool>>(), json::parse(R"({"type":"array","items":{"type":"boolean"}})"));
}

TEST(schema, a_struct_is_defined_once_and_referenced)
{
    schema_set set;
    EXPECT_EQ(set.schema<person>(schema_use::input), json::parse(R"({"$ref":"#/components/schemas/person"})"));
    EXPECT_EQ(set.schema<std::vector<person>>(schema_use::input),
              json::parse(R"({"type":"array","items":{"$ref":"#/components/schemas/person"}})"));
    EXPECT_EQ(set.definitions().at("person"), json::parse(R"({
        "title":"person","type":"object",
        "properties":{"age":{"type":"integer","format":"int64","minimum":0,"maximum":150},
                      "home":{"$ref":"#/components/schemas/address"},
                      "others":{"type":"array","items":{"$ref":"#/components/schemas/address"}},
                      "born":{"anyOf":[{"type":"string","format":"date-time"},{"type":"null"}]}},
        "required":["age","home","others"]})"));
    EXPECT_EQ(set.definitions().at("address"), json::parse(R"({
        "title":"address","type":"object",
        "properties":{"city":{"type":"string","minLength":1,"maxLength":64},
                      "street":{"anyOf":[{"type":"string"},{"type":"null"}]}},
        "required":["city"]})"));
    EXPECT_EQ(set.definitions().size(), 2u);
}

TEST(schema, a_response_always_has_every_member_so_optionals_are_required_there)
{
    schema_set set;
    EXPECT_EQ(set.schema<address>(schema_use::output), json::parse(R"({"$ref":"#/components/schemas/address-Output"})"));
    EXPECT_EQ(set.definitions().at("address-Output").at("required"), (json::array{"city", "street"}));
    EXPECT_EQ(set.schema<address>(schema_use::input), json::parse(R"({"$ref":"#/components/schemas/address"})"));
    // Without optional members both uses are the same schema: one definition.
    EXPECT_EQ(set.schema<other::address>(schema_use::output), set.schema<other::address>(schema_use::input));
}

TEST(schema, a_recursive_struct_refers_to_itself)
{
    schema_set set;
    EXPECT_EQ(set.schema<tree>(schema_use::input), json::parse(R"({"$ref":"#/components/schemas/tree"})"));
    EXPECT_EQ(set.definitions().at("tree").at("properties").at("children"),
              json::parse(R"({"type":"array","items":{"$ref":"#/components/schemas/tree"}})"));
}

TEST(schema, two_structs_of_one_name_in_different_namespaces_get_different_names)
{
    schema_set set;
    const auto first = set.schema<address>(schema_use::input);
    const auto second = set.schema<other::address>(schema_use::input);
    EXPECT_EQ(first, json::parse(R"({"$ref":"#/components/schemas/address"})"));
    EXPECT_EQ(second, json::parse(R"({"$ref":"#/components/schemas/_anonymous_namespace_.other.address"})"));
    EXPECT_EQ(set.definitions().at("_anonymous_namespace_.other.address").at("required"), (json::array{"zip"}));
}

TEST(schema, a_name_defined_by_hand_is_not_taken_by_a_struct)
{
    schema_set set("#/defs/");
    set.define("tree", json::object{{"type", "string"}});
    EXPECT_EQ(set.schema<tree>(schema_use::input), json::parse(R"({"$ref":"#/defs/_anonymous_namespace_.tree"})"));
    EXPECT_EQ(set.definitions().at("tree"), json::parse(R"({"type":"string"})"));
}

TEST(schema, query_parameters_are_optional_with_the_defaults_of_a_default_struct)
{
    schema_set set;
    EXPECT_EQ(keel::model::parameters_schema<search>(set), json::parse(R"({
        "type":"object",
        "properties":{"limit":{"type":"integer","format":"int64","minimum":1,"maximum":100,"default":20},
                      "order":{"type":"string","default":"id"},
                      "prefix":{"type":"string","minLength":1,"maxLength":10},
                      "exact":{"type":"boolean","default":false}}})"));
    EXPECT_TRUE(set.definitions().empty());
}

}  // namespace

namespace {

TEST(schema, a_member_with_a_default_is_not_required_in_a_request_and_shows_its_default)
{
    schema_set set;
    EXPECT_EQ(set.schema<post_in>(schema_use::input), json::parse(R"({"$ref":"#/components/schemas/post_in"})"));
    EXPECT_EQ(set.definitions().at("post_in"), json::parse(R"({
        "title":"post_in","type":"object",
        "properties":{"title":{"type":"string","minLength":1,"maxLength":100},
                      "body":{"type":"string"},
                      "published":{"type":"boolean","default":false},
                      "tags":{"type":"array","items":{"type":"string"},"default":[]}},
        "required":["title","body"]})"));
    // keel writes every member: a response requires them all.
    EXPECT_EQ(set.schema<post_in>(schema_use::output), json::parse(R"({"$ref":"#/components/schemas/post_in-Output"})"));
    EXPECT_EQ(set.definitions().at("post_in-Output").at("required"), (json::array{"title", "body", "published", "tags"}));
}

TEST(schema, a_partial_model_requires_nothing_either_way)
{
    schema_set set;
    EXPECT_EQ(set.schema<keel::partial<post_in>>(schema_use::input),
              json::parse(R"({"$ref":"#/components/schemas/post_in-Partial"})"));
    EXPECT_EQ(set.schema<keel::partial<post_in>>(schema_use::output), set.schema<keel::partial<post_in>>(schema_use::input));
    const auto& partial = set.definitions().at("post_in-Partial").as_object();
    EXPECT_FALSE(partial.contains("required"));
    EXPECT_EQ(partial.at("title"), "post_in-Partial");
    EXPECT_EQ(partial.at("properties").at("title"), json::parse(R"({"type":"string","minLength":1,"maxLength":100})"));
    // In a PATCH an absent member stays as it is: no default for a client to fill in.
    EXPECT_EQ(partial.at("properties").at("published"), json::parse(R"({"type":"boolean"})"));
    EXPECT_FALSE(set.definitions().contains("post_in"));  // the whole model is another schema, not made here
}

}  // namespace
