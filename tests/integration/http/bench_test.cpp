// The TechEmpower-style service: every endpoint's shape and rules, on every backend.
#include <algorithm>
#include <map>

#include <boost/json/serialize.hpp>

#include <gtest/gtest.h>

#include <keel/testing/app.hpp>
#include <keel/testing/http_client.hpp>

#include "service.hpp"
#include "support/database_test.hpp"

namespace {

using namespace keel::testing;

class bench_service : public database_test {
protected:
    void SetUp() override
    {
        database_test::SetUp();
        tfb::seed(*database_);
        server_.emplace(tfb::make_app(test_server_settings(), *database_));
    }
    std::uint16_t port() const { return server_->port(); }
    std::optional<running_app> server_;
};

void expect_world(const boost::json::value& v)
{
    const auto& o = v.as_object();
    ASSERT_EQ(o.size(), 2u) << boost::json::serialize(v);
    EXPECT_GE(o.at("id").as_int64(), 1);
    EXPECT_LE(o.at("id").as_int64(), 10000);
    EXPECT_GE(o.at("randomNumber").as_int64(), 1);
    EXPECT_LE(o.at("randomNumber").as_int64(), 10000);
}

TEST_P(bench_service, json_and_plaintext)
{
    auto j = get(port(), "/json");
    EXPECT_EQ(j.status, 200);
    EXPECT_EQ(j.body, R"({"message":"Hello, World!"})");
    EXPECT_EQ(j.header("content-type"), "application/json");
    EXPECT_EQ(j.header("server"), "keel");
    EXPECT_FALSE(j.header("date").empty());
    auto p = get(port(), "/plaintext");
    EXPECT_EQ(p.body, "Hello, World!");
    EXPECT_EQ(p.header("content-type"), "text/plain");
}

TEST_P(bench_service, single_query)
{
    auto r = get(port(), "/db");
    ASSERT_EQ(r.status, 200) << r.body;
    expect_world(r.json());
}

TEST_P(bench_service, queries_are_clamped_and_counted)
{
    const std::map<std::string, std::size_t> cases = {
        {"/queries", 1}, {"/queries?queries=", 1}, {"/queries?queries=foo", 1}, {"/queries?queries=0", 1},
        {"/queries?queries=-5", 1}, {"/queries?queries=1", 1}, {"/queries?queries=20", 20},
        {"/queries?queries=500", 500}, {"/queries?queries=501", 500}, {"/queries?queries=99999999999", 1}};
    for (const auto& [target, expected] : cases) {
        auto r = get(port(), target);
        ASSERT_EQ(r.status, 200) << target << " " << r.body;
        const auto json = r.json();
        const auto& rows = json.as_array();
        EXPECT_EQ(rows.size(), expected) << target;
        for (const auto& row : rows)
            expect_world(row);
    }
}

TEST_P(bench_service, updates_are_returned_and_persisted)
{
    auto r = get(port(), "/updates?queries=20");
    ASSERT_EQ(r.status, 200) << r.body;
    const auto json = r.json();
    const auto& rows = json.as_array();
    ASSERT_EQ(rows.size(), 20u);
    std::map<std::int64_t, int> seen;
    for (const auto& row : rows) {
        expect_world(row);
        ++seen[row.at("id").as_int64()];
    }
    for (const auto& row : rows) {
        const auto id = row.at("id").as_int64();
        if (seen[id] > 1)
            continue;  // drawn twice: written once, with one of the two numbers
        EXPECT_EQ(scalar("SELECT randomnumber FROM world WHERE id = " + std::to_string(id)),
                  row.at("randomNumber").as_int64());
    }
    EXPECT_EQ(get(port(), "/updates?queries=abc").json().as_array().size(), 1u);
    EXPECT_EQ(get(port(), "/updates?queries=600").json().as_array().size(), 500u);
}

TEST_P(bench_service, fortunes_are_sorted_and_escaped)
{
    auto r = get(port(), "/fortunes");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.header("content-type"), "text/html; charset=utf-8");
    EXPECT_TRUE(r.body.starts_with("<!DOCTYPE html><html><head><title>Fortunes</title></head><body><table>"
                                   "<tr><th>id</th><th>message</th></tr>"));
    EXPECT_TRUE(r.body.ends_with("</table></body></html>"));
    EXPECT_NE(r.body.find("<tr><td>11</td><td>&lt;script&gt;alert(&quot;This should not be displayed in a browser "
                          "alert box.&quot;);&lt;/script&gt;</td></tr>"),
              std::string::npos);
    EXPECT_NE(r.body.find("<tr><td>12</td><td>フレームワークのベンチマーク</td></tr>"), std::string::npos);
    EXPECT_NE(r.body.find("<tr><td>0</td><td>Additional fortune added at request time.</td></tr>"), std::string::npos);
    EXPECT_EQ(r.body.find("<script>"), std::string::npos);
    // 13 rows in message order
    std::vector<std::string> messages;
    for (auto at = r.body.find("<tr><td>"); at != std::string::npos; at = r.body.find("<tr><td>", at + 1)) {
        auto start = r.body.find("</td><td>", at) + 9;
        messages.push_back(r.body.substr(start, r.body.find("</td></tr>", start) - start));
    }
    ASSERT_EQ(messages.size(), 13u);
    EXPECT_TRUE(std::is_sorted(messages.begin(), messages.end()));
}

KEEL_INSTANTIATE_FOR_EVERY_BACKEND(bench_service);

}  // namespace
