// HTTP/1.1 message framing exactly as RFC 9112 says: a request whose body length a proxy could
// read differently, or with no Host or two, gets 400 and its connection is closed, so nothing
// after it on the connection is handled (no request smuggling).
#include <gtest/gtest.h>

#include <keel/testing/databases.hpp>
#include <keel/testing/http_client.hpp>
#include <keel/testing/app.hpp>

namespace {

using keel::task;
using namespace keel::http;
using namespace keel::testing;

struct hits {
    std::int64_t count = 0;
};
BOOST_DESCRIBE_STRUCT(hits, (), (count))

// Counts the requests its handlers saw: a smuggled request would show up here.
class framing_test : public ::testing::Test {
protected:
    void SetUp() override
    {
        quiet_logs();
        auto a = std::make_unique<app>(test_server_settings());
        a->post("/echo", [this](const request&) -> task<hits> { co_return hits{++handled_}; });
        a->get("/hits", [this]() -> task<hits> { co_return hits{++handled_}; });
        server_.emplace(std::move(a));
    }
    // Sends `bytes` on one connection and returns everything the server wrote before closing.
    std::string exchange(const std::string& bytes)
    {
        raw_connection c(server_->port());
        c.write(bytes);
        auto [text, closed] = c.read_until_closed(10'000);
        EXPECT_TRUE(closed) << "the connection was left open after a malformed request";
        return text;
    }
    static int responses_in(const std::string& text)
    {
        int n = 0;
        // Each response has one Server header; status lines could also appear in a detail text.
        for (auto at = text.find("\r\nServer: keel\r\n"); at != std::string::npos; at = text.find("\r\nServer: keel\r\n", at + 1))
            ++n;
        return n;
    }
    void expect_rejected(const std::string& head_and_body, const std::string& why, int status = 400)
    {
        const std::string smuggled = "GET /hits HTTP/1.1\r\nHost: x\r\n\r\n";
        const auto text = exchange(head_and_body + smuggled);
        EXPECT_EQ(text.rfind("HTTP/1.1 " + std::to_string(status) + " ", 0), 0u) << why << ":\n" << text;
        EXPECT_EQ(responses_in(text), 1) << why << ": a request after the bad one was answered:\n" << text;
        EXPECT_NE(text.find("Connection: close"), std::string::npos) << why;
        EXPECT_EQ(handled_.load(), 0) << why << ": a handler ran";
    }

    std::atomic<std::int64_t> handled_{0};
    std::optional<running_app> server_;
};

TEST_F(framing_test, a_transfer_coding_after_chunked_is_rejected)
{
    expect_rejected("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, identity\r\n\r\n"
                    "3\r\nabc\r\n0\r\n\r\n",
                    "chunked, identity");
}

TEST_F(framing_test, a_transfer_coding_without_chunked_is_rejected)
{
    expect_rejected("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", "gzip");
}

TEST_F(framing_test, a_coding_keel_does_not_decode_is_501)
{
    expect_rejected("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", "gzip, chunked",
                    501);
}

TEST_F(framing_test, chunked_twice_is_rejected)
{
    expect_rejected("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n"
                    "0\r\n\r\n",
                    "chunked twice");
}

TEST_F(framing_test, transfer_encoding_with_content_length_is_rejected_in_either_order)
{
    expect_rejected("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n"
                    "0\r\n\r\n",
                    "Transfer-Encoding then Content-Length");
    expect_rejected("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
                    "0\r\n\r\n",
                    "Content-Length then Transfer-Encoding");
    expect_rejected("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\nContent-Length: 5\r\n\r\nhello",
                    "a non-chunked coding with Content-Length");
}

TEST_F(framing_test, an_http11_request_without_host_or_with_two_is_rejected)
{
    expect_rejected("GET /hits HTTP/1.1\r\n\r\n", "no Host");
    expect_rejected("GET /hits HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", "two Hosts");
}

TEST_F(framing_test, well_framed_requests_are_served)
{
    // Chunked (any case), then an HTTP/1.0 request without Host (allowed there), on one connection.
    const auto text = exchange("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: Chunked\r\n\r\n0\r\n\r\n"
                               "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
                               "GET /hits HTTP/1.0\r\n\r\n");
    EXPECT_EQ(responses_in(text), 3) << text;
    EXPECT_EQ(text.find(" 400 "), std::string::npos) << text;
    EXPECT_EQ(handled_.load(), 3);
}

}  // namespace
