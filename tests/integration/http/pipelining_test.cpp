// HTTP/1.1 pipelining (RFC 9112 9.3): requests sent back to back on one connection are answered
// in order, each on its own terms, and a client cannot make the server buffer without bound.
// Also how connections are spread over the I/O threads, and how many requests run at once.
#include <atomic>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include <keel/testing/app.hpp>
#include <keel/testing/databases.hpp>
#include <keel/testing/http_client.hpp>

#include "support/gate.hpp"

namespace {

using keel::task;
using namespace keel::http;
using namespace keel::testing;
namespace bhttp = boost::beast::http;

struct numbered {
    std::int64_t n = 0;
};
BOOST_DESCRIBE_STRUCT(numbered, (), (n))

struct item {
    keel::text<1, 8> name;
};
BOOST_DESCRIBE_STRUCT(item, (), (name))

struct parsed_response {
    int status = 0;
    std::string body;
};

// Splits what a connection received into its responses, in order.
std::vector<parsed_response> split_responses(std::string_view bytes)
{
    std::vector<parsed_response> out;
    while (!bytes.empty()) {
        bhttp::response_parser<bhttp::string_body> parser;
        parser.eager(true);
        boost::beast::error_code ec;
        const auto used = parser.put(boost::asio::buffer(bytes.data(), bytes.size()), ec);
        if (ec || !parser.is_done()) {
            ADD_FAILURE() << "a truncated or malformed response: " << bytes.substr(0, 200);
            break;
        }
        out.push_back({static_cast<int>(parser.get().result_int()), parser.get().body()});
        bytes.remove_prefix(used);
    }
    return out;
}

std::string get_request(const std::string& target, const std::string& extra_headers = "")
{
    return "GET " + target + " HTTP/1.1\r\nHost: test\r\n" + extra_headers + "\r\n";
}

std::string post_request(const std::string& target, const std::string& json)
{
    return "POST " + target + " HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: " +
           std::to_string(json.size()) + "\r\n\r\n" + json;
}

class pipelining_test : public ::testing::Test {
protected:
    std::unique_ptr<app> make(server_settings settings = test_server_settings())
    {
        quiet_logs();
        auto a = std::make_unique<app>(settings);
        a->get("/numbers/{n}", [this](path<std::int64_t> n) -> task<numbered> {
            ++handled_;
            co_return numbered{*n};
        });
        a->post("/items", [this](body<item> in) -> task<created<item>> {
            ++handled_;
            co_return created<item>{*in};
        });
        a->get("/slow", [this]() -> task<numbered> {
            ++handled_;
            co_await slow_gate_.wait();
            co_return numbered{-1};
        });
        a->get("/big", [this]() -> task<response> {
            ++handled_;
            co_return response::text(200, std::string(256 * 1024, 'x'));
        });
        a->get("/thread", []() -> task<numbered> {
            co_return numbered{static_cast<std::int64_t>(std::hash<std::thread::id>{}(std::this_thread::get_id()))};
        });
        return a;
    }

    // A server on one thread with one request slot, which a /slow request holds until
    // slow_gate_ opens.
    running_app& hold_the_only_request_slot(std::chrono::milliseconds request_timeout)
    {
        auto settings = test_server_settings();
        settings.threads = 1;
        settings.max_concurrent_requests = 1;
        settings.request_timeout = request_timeout;
        auto& server = one_slot_server_.emplace(make(settings));
        holder_.emplace(server.port());
        holder_->write(get_request("/slow"));
        slow_gate_.wait_for_waiters(1);
        return server;
    }

    std::atomic<int> handled_{0};
    gate slow_gate_;
    std::optional<running_app> one_slot_server_;
    std::optional<raw_connection> holder_;
};

TEST_F(pipelining_test, sixteen_requests_in_one_write_get_sixteen_responses_in_order)
{
    running_app server(make());
    std::string batch;
    for (int i = 0; i < 16; ++i)
        batch += get_request("/numbers/" + std::to_string(i), i == 15 ? "Connection: close\r\n" : "");
    raw_connection c(server.port());
    c.write(batch);
    const auto [text, closed] = c.read_until_closed(10'000);
    EXPECT_TRUE(closed);
    const auto responses = split_responses(text);
    ASSERT_EQ(responses.size(), 16u) << text;
    for (int i = 0; i < 16; ++i) {
        EXPECT_EQ(responses[i].status, 200);
        EXPECT_EQ(responses[i].body, R"({"n":)" + std::to_string(i) + "}");
    }
}

// Reads grow while a client fills them, so requests arrive split at any byte: each is still read
// whole (a head cut between reads goes to Beast's parser, which waits for the rest) and in order.
TEST_F(pipelining_test, a_long_pipeline_written_in_odd_pieces_is_answered_whole_and_in_order)
{
    running_app server(make());
    std::string batch;
    for (int i = 0; i < 201; ++i)
        batch += i % 3 == 1 ? post_request("/items", R"({"name":"n)" + std::to_string(i % 100) + R"("})")
                            : get_request("/numbers/" + std::to_string(i), i == 200 ? "Connection: close\r\n" : "");
    raw_connection c(server.port());
    for (std::size_t at = 0, piece = 1; at < batch.size(); at += piece, piece = piece * 7 % 1013 + 1)
        c.write(batch.substr(at, piece));
    const auto [text, closed] = c.read_until_closed(10'000);
    EXPECT_TRUE(closed);
    const auto responses = split_responses(text);
    ASSERT_EQ(responses.size(), 201u) << text.substr(0, 400);
    for (int i = 0; i < 201; ++i) {
        if (i % 3 == 1) {
            EXPECT_EQ(responses[i].status, 201);
            EXPECT_EQ(responses[i].body, R"({"name":"n)" + std::to_string(i % 100) + R"("})");
        } else {
            EXPECT_EQ(responses[i].status, 200);
            EXPECT_EQ(responses[i].body, R"({"n":)" + std::to_string(i) + "}");
        }
    }
}

TEST_F(pipelining_test, a_request_that_fails_validation_does_not_disturb_its_neighbours)
{
    running_app server(make());
    raw_connection c(server.port());
    c.write(post_request("/items", R"({"name":"pen"})") + post_request("/items", R"({"name":"far too long"})") +
            post_request("/items", "{not json") + get_request("/numbers/x") +
            get_request("/numbers/7", "Connection: close\r\n"));
    const auto [text, closed] = c.read_until_closed(10'000);
    const auto responses = split_responses(text);
    ASSERT_EQ(responses.size(), 5u) << text;
    EXPECT_EQ(responses[0].status, 201);
    EXPECT_EQ(responses[0].body, R"({"name":"pen"})");
    EXPECT_EQ(responses[1].status, 422);
    EXPECT_NE(responses[1].body.find("string_too_long"), std::string::npos) << responses[1].body;
    EXPECT_EQ(responses[2].status, 422);
    EXPECT_EQ(responses[3].status, 422);
    EXPECT_EQ(responses[4].status, 200);
    EXPECT_EQ(responses[4].body, R"({"n":7})");
}

TEST_F(pipelining_test, nothing_after_connection_close_is_handled)
{
    running_app server(make());
    raw_connection c(server.port());
    c.write(get_request("/numbers/1", "Connection: close\r\n") + get_request("/numbers/2") + get_request("/numbers/3"));
    const auto [text, closed] = c.read_until_closed(10'000);
    EXPECT_TRUE(closed);
    const auto responses = split_responses(text);
    ASSERT_EQ(responses.size(), 1u) << text;
    EXPECT_EQ(responses[0].body, R"({"n":1})");
    EXPECT_EQ(handled_.load(), 1);
}

TEST_F(pipelining_test, nothing_after_an_unreadable_request_is_handled)
{
    running_app server(make());
    raw_connection c(server.port());
    c.write(get_request("/numbers/1") + "GET /numbers/2 HTTP/1.1\r\nHost: test\r\nBad Header\r\n\r\n" +
            get_request("/numbers/3"));
    const auto [text, closed] = c.read_until_closed(10'000);
    EXPECT_TRUE(closed);
    const auto responses = split_responses(text);
    ASSERT_EQ(responses.size(), 2u) << text;
    EXPECT_EQ(responses[0].body, R"({"n":1})");
    EXPECT_EQ(responses[1].status, 400);
    EXPECT_EQ(handled_.load(), 1);
}

TEST_F(pipelining_test, a_handler_that_suspends_holds_back_only_the_responses_after_it)
{
    running_app server(make());
    raw_connection c(server.port());
    c.write(get_request("/numbers/1") + get_request("/slow") + get_request("/numbers/2", "Connection: close\r\n"));
    // The first answer arrives while /slow is still waiting: it was not held back.
    const auto [first, closed_early] = c.read_until(R"({"n":1})", 10'000);
    ASSERT_NE(first.find(R"({"n":1})"), std::string::npos) << first;
    EXPECT_FALSE(closed_early);
    EXPECT_EQ(first.find(R"({"n":-1})"), std::string::npos);
    slow_gate_.open();
    const auto [rest, closed] = c.read_until_closed(10'000);
    const auto responses = split_responses(first + rest);
    ASSERT_EQ(responses.size(), 3u) << first << rest;
    EXPECT_EQ(responses[1].body, R"({"n":-1})");
    EXPECT_EQ(responses[2].body, R"({"n":2})");
}

TEST_F(pipelining_test, a_client_that_does_not_read_its_responses_is_cut_off_with_bounded_buffering)
{
    auto settings = test_server_settings();
    settings.read_timeout = std::chrono::milliseconds(300);  // also the limit on a write that makes no progress
    running_app server(make(settings));
    constexpr int sent = 2000;  // 500 MB of responses if the server kept handling them all
    std::string batch;
    for (int i = 0; i < sent; ++i)
        batch += get_request("/big");
    raw_connection c(server.port());
    c.write(batch);
    // The server handles requests until its output limit and the kernel's socket buffers are
    // full, stops reading, and resets the connection once its write deadline passed.
    EXPECT_TRUE(c.wait_until_reset(30'000));
    EXPECT_GT(handled_.load(), 0);
    EXPECT_LT(handled_.load(), 400);  // 100 MB: the output limit plus the largest socket buffers
    EXPECT_EQ(get(server.port(), "/numbers/5").status, 200);  // and it still serves others
}

TEST_F(pipelining_test, connections_are_dealt_to_every_io_thread_in_turn)
{
    running_app server(make());  // two I/O threads
    std::vector<std::unique_ptr<raw_connection>> open;
    std::multiset<std::string> threads;
    for (int i = 0; i < 8; ++i) {
        open.push_back(std::make_unique<raw_connection>(server.port()));
        open.back()->write(get_request("/thread"));
        const auto [text, closed] = open.back()->read_until("}", 10'000);
        const auto responses = split_responses(text);
        ASSERT_EQ(responses.size(), 1u) << text;
        threads.insert(responses[0].body);
    }
    std::set<std::string> distinct(threads.begin(), threads.end());
    ASSERT_EQ(distinct.size(), 2u);
    for (const auto& t : distinct)
        EXPECT_EQ(threads.count(t), 4u);
}

// One request slot: a second request waits for it, and gets 503 once request_timeout passed
// without one; its handler never runs.
TEST_F(pipelining_test, past_max_concurrent_requests_a_request_waits_then_gets_503)
{
    auto& server = hold_the_only_request_slot(std::chrono::milliseconds(200));
    const auto busy = get(server.port(), "/numbers/1");
    EXPECT_EQ(busy.status, 503);
    EXPECT_EQ(busy.header("retry-after"), "1");
    EXPECT_EQ(handled_.load(), 1);  // only /slow ran
    slow_gate_.open();
    const auto [text, closed] = holder_->read_until("}", 10'000);
    ASSERT_EQ(split_responses(text).size(), 1u) << text;
}

TEST_F(pipelining_test, a_freed_request_slot_goes_to_the_requests_waiting_for_it)
{
    auto& server = hold_the_only_request_slot(std::chrono::seconds(30));
    std::vector<std::unique_ptr<raw_connection>> waiting;
    for (int i = 0; i < 3; ++i) {
        waiting.push_back(std::make_unique<raw_connection>(server.port()));
        waiting.back()->write(get_request("/numbers/" + std::to_string(i)));
    }
    slow_gate_.open();
    for (int i = 0; i < 3; ++i) {
        const auto [text, closed] = waiting[i]->read_until("}", 10'000);
        const auto responses = split_responses(text);
        ASSERT_EQ(responses.size(), 1u) << text;
        EXPECT_EQ(responses[0].body, R"({"n":)" + std::to_string(i) + "}");
    }
}

}  // namespace
