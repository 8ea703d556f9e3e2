// parse_plain_request: what it reads itself and what it leaves to Beast's parser (the fuzz target
// request_parsers checks that the two agree on everything it reads).
#include <gtest/gtest.h>

#include "http/request_parser.hpp"

namespace {

using keel::http::detail::parse_plain_request;
using keel::http::detail::parsed_request;

TEST(plain_request, reads_a_get_with_its_fields_and_leaves_the_next_request)
{
    const std::string first = "GET /users/7?x=1 HTTP/1.1\r\nHost: example.com\r\nX-Trace:  a b \t\r\nEmpty:\r\n\r\n";
    parsed_request out;
    const auto read = parse_plain_request(first + "GET / HTTP/1.1\r\n", 8192, out);
    ASSERT_TRUE(read);
    EXPECT_EQ(read->used, first.size());
    EXPECT_TRUE(read->keep_alive);
    EXPECT_EQ(out.method, boost::beast::http::verb::get);
    EXPECT_EQ(out.version, 11u);
    EXPECT_EQ(out.method_text(), "GET");
    EXPECT_EQ(out.target(), "/users/7?x=1");
    EXPECT_EQ(out.find("host"), "example.com");
    EXPECT_EQ(out.find("x-trace"), "a b");
    EXPECT_EQ(out.find("Empty"), "");
    EXPECT_EQ(out.count(boost::beast::http::field::host), 1u);
}

TEST(plain_request, keep_alive_as_beast_reads_it)
{
    parsed_request out;
    EXPECT_FALSE(parse_plain_request("GET / HTTP/1.1\r\nConnection: Upgrade, CLOSE\r\n\r\n", 8192, out)->keep_alive);
    EXPECT_FALSE(parse_plain_request("GET / HTTP/1.0\r\n\r\n", 8192, out)->keep_alive);
    EXPECT_TRUE(parse_plain_request("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", 8192, out)->keep_alive);
}

TEST(plain_request, leaves_everything_else_to_beast)
{
    const char* others[] = {
        "POST /users HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\n{}",     // a body
        "POST /users HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n",                       // obs-fold
        "GET / HTTP/1.1\r\nHost : a\r\n\r\n",                                  // space before the colon
        "GET / HTTP/1.1\r\nHost: caf\xc3\xa9\r\n\r\n",                         // bytes past ASCII
        "GET / HTTP/1.1\r\nConnection: close,,x\r\n\r\n",                      // an empty list element
        "GET / HTTP/2.0\r\n\r\n",
        "get / HTTP/1.1\r\n\r\n",                                              // a method Beast does not know
        "GET  / HTTP/1.1\r\n\r\n",
        "GET / HTTP/1.1\nHost: a\n\n",                                         // bare LF
        "GET / HTTP/1.1\r\nHost: a\r\n",                                       // not whole yet
    };
    for (const char* request : others) {
        parsed_request out;
        EXPECT_FALSE(parse_plain_request(request, 8192, out)) << request;
    }
}

TEST(plain_request, a_head_at_the_limit_goes_to_beast_which_refuses_it)
{
    const std::string request = "GET / HTTP/1.1\r\nX: " + std::string(100, 'a') + "\r\n\r\n";
    parsed_request out;
    EXPECT_FALSE(parse_plain_request(request, request.size(), out));
    EXPECT_TRUE(parse_plain_request(request, request.size() + 1, out));
}

}  // namespace
