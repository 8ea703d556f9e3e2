#include <keel/testing/http_client.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <stdexcept>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/json/parse.hpp>

#include "core/ascii.hpp"

namespace keel::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;

boost::json::value reply::json() const { return boost::json::parse(body); }

std::string reply::header(const std::string& lower_name) const
{
    auto it = headers.find(lower_name);
    return it == headers.end() ? std::string() : it->second;
}

namespace {

asio::awaitable<void> exchange(std::uint16_t port, const request_spec& spec, reply& out)
{
    auto ex = co_await asio::this_coro::executor;
    beast::tcp_stream stream(ex);
    stream.expires_after(std::chrono::seconds(10));
    if (!spec.source_address.empty()) {
        stream.socket().open(asio::ip::tcp::v4());
        stream.socket().bind(asio::ip::tcp::endpoint(asio::ip::make_address(spec.source_address), 0));
    }
    co_await stream.async_connect(asio::ip::tcp::endpoint(asio::ip::address_v4::loopback(), port), asio::use_awaitable);
    bhttp::request<bhttp::string_body> req{bhttp::string_to_verb(spec.method), spec.target, 11};
    req.set(bhttp::field::host, "127.0.0.1");
    for (const auto& [name, value] : spec.headers)
        req.set(name, value);
    req.body() = spec.body;
    if (!spec.body.empty() || spec.method == "POST" || spec.method == "PUT" || spec.method == "PATCH")
        req.prepare_payload();
    req.keep_alive(false);
    co_await bhttp::async_write(stream, req, asio::use_awaitable);
    beast::flat_buffer buffer;
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(64 * 1024 * 1024);
    if (spec.method == "HEAD")
        parser.skip(true);
    co_await bhttp::async_read(stream, buffer, parser, asio::use_awaitable);
    auto& res = parser.get();
    out.status = res.result_int();
    out.body = res.body();
    for (const auto& field : res) {
        out.headers[keel::detail::ascii_lowered(field.name_string())] = std::string(field.value());
    }
}

}  // namespace

std::vector<reply> send_concurrently(std::uint16_t port, const std::vector<request_spec>& requests)
{
    asio::io_context ioc;
    std::vector<reply> replies(requests.size());
    std::exception_ptr failure;
    for (std::size_t i = 0; i < requests.size(); ++i)
        asio::co_spawn(ioc, exchange(port, requests[i], replies[i]), [&](std::exception_ptr e) {
            if (e && !failure)
                failure = e;
        });
    ioc.run();
    if (failure)
        std::rethrow_exception(failure);
    return replies;
}

reply send(std::uint16_t port, const request_spec& request) { return send_concurrently(port, {request}).front(); }
reply get(std::uint16_t port, const std::string& target) { return send(port, {"GET", target, "", {}}); }
reply post_json(std::uint16_t port, const std::string& target, const std::string& body)
{
    return send(port, {"POST", target, body});
}

raw_connection::raw_connection(std::uint16_t port)
{
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd_ < 0 || ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
        throw std::runtime_error("cannot connect to the test server");
    // Each write leaves as it was made (no Nagle coalescing): tests split requests where they mean to.
    const int on = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
}

raw_connection::~raw_connection() { ::close(fd_); }

void raw_connection::write(const std::string& bytes)
{
    std::size_t sent = 0;
    while (sent < bytes.size()) {
        auto n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
        if (n <= 0)
            throw std::runtime_error("send failed");
        sent += static_cast<std::size_t>(n);
    }
}

std::pair<std::string, bool> raw_connection::read_until_closed(int timeout_ms) { return read_until({}, timeout_ms); }

std::pair<std::string, bool> raw_connection::read_until(std::string_view marker, int timeout_ms)
{
    std::string received;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
        if (left <= 0)
            return {received, false};
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(left)) <= 0)
            return {received, false};
        char chunk[4096];
        auto n = ::recv(fd_, chunk, sizeof chunk, 0);
        if (n <= 0)
            return {received, true};
        received.append(chunk, static_cast<std::size_t>(n));
        if (!marker.empty() && received.find(marker) != std::string::npos)
            return {received, false};
    }
}

bool raw_connection::wait_until_reset(int timeout_ms)
{
    pollfd p{fd_, 0, 0};  // POLLERR and POLLHUP are reported without asking; unread data is not
    return ::poll(&p, 1, timeout_ms) > 0 && (p.revents & (POLLERR | POLLHUP)) != 0;
}

}  // namespace keel::testing
