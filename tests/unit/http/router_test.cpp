#include <gtest/gtest.h>

#include <keel/http/router.hpp>

namespace {

using namespace keel::http;

route_handler noop(std::size_t path_params = 0)
{
    return {[](request_context&) -> keel::task<response> { co_return response{}; }, {path_params, {}}};
}

struct router_test : ::testing::Test {
    router r;
    void SetUp() override
    {
        r.add(method::get, "/users", noop());
        r.add(method::post, "/users", noop());
        r.add(method::get, "/users/{id}", noop(1));
        r.add(method::get, "/users/me", noop());
        r.add(method::delete_, "/users/{id}/sessions/{session}", noop(2));
    }
};

TEST_F(router_test, matches_literal_paths)
{
    auto m = r.match(method::get, "/users");
    ASSERT_TRUE(std::holds_alternative<router::matched>(m));
    EXPECT_TRUE(std::get<router::matched>(m).values.empty());
}

TEST_F(router_test, extracts_parameters_in_order)
{
    auto m = r.match(method::delete_, "/users/42/sessions/abc");
    ASSERT_TRUE(std::holds_alternative<router::matched>(m));
    auto& found = std::get<router::matched>(m);
    ASSERT_EQ(found.values.size(), 2u);
    EXPECT_EQ(found.values[0], "42");
    EXPECT_EQ(found.values[1], "abc");
    EXPECT_EQ((*found.names)[0], "id");
    EXPECT_EQ((*found.names)[1], "session");
}

TEST_F(router_test, literal_segment_beats_parameter)
{
    auto me = r.match(method::get, "/users/me");
    ASSERT_TRUE(std::holds_alternative<router::matched>(me));
    EXPECT_TRUE(std::get<router::matched>(me).values.empty());
    auto id = r.match(method::get, "/users/7");
    ASSERT_TRUE(std::holds_alternative<router::matched>(id));
    EXPECT_EQ(std::get<router::matched>(id).values.front(), "7");
}

TEST_F(router_test, unknown_paths_are_not_found)
{
    for (const char* path : {"/", "/nope", "/users/1/2", "/users/", "users", ""})
        EXPECT_TRUE(std::holds_alternative<router::not_found>(r.match(method::get, path))) << path;
}

TEST_F(router_test, wrong_method_lists_the_allowed_ones)
{
    auto m = r.match(method::put, "/users");
    ASSERT_TRUE(std::holds_alternative<router::method_not_allowed>(m));
    EXPECT_EQ(std::get<router::method_not_allowed>(m).allow, "GET, HEAD, POST");
    auto d = r.match(method::post, "/users/5/sessions/x");
    ASSERT_TRUE(std::holds_alternative<router::method_not_allowed>(d));
    EXPECT_EQ(std::get<router::method_not_allowed>(d).allow, "DELETE");
}

TEST_F(router_test, head_is_served_by_get)
{
    EXPECT_TRUE(std::holds_alternative<router::matched>(r.match(method::head, "/users/3")));
}

TEST(router, rejects_bad_templates_and_duplicates)
{
    router r;
    r.add(method::get, "/a/{id}", noop(1));
    EXPECT_THROW(r.add(method::get, "/a/{id}", noop(1)), std::invalid_argument);
    EXPECT_THROW(r.add(method::get, "/a/{other}", noop(1)), std::invalid_argument);
    EXPECT_THROW(r.add(method::get, "no-slash", noop()), std::invalid_argument);
    EXPECT_THROW(r.add(method::get, "/x/{}", noop(1)), std::invalid_argument);
    EXPECT_THROW(r.add(method::get, "/x/a{id}", noop()), std::invalid_argument);
    EXPECT_NO_THROW(r.add(method::post, "/a/{id}", noop(1)));
}

}  // namespace
