#pragma once
// A small real HTTP/1.1 client for tests: one request per connection, over loopback.
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/value.hpp>

namespace keel::testing {

struct reply {
    int status = 0;
    std::string body;
    std::map<std::string, std::string> headers;  // names in lower case
    boost::json::value json() const;
    std::string header(const std::string& lower_name) const;
};

struct request_spec {
    std::string method = "GET";
    std::string target = "/";
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers = {{"Content-Type", "application/json"}};
    /// The loopback address to connect from ("127.0.0.2"), so that the server sees another peer;
    /// empty: the kernel's choice.
    std::string source_address;
};

/// Sends one request to 127.0.0.1:port and reads the reply (10 s deadline).
reply send(std::uint16_t port, const request_spec& request);
reply get(std::uint16_t port, const std::string& target);
reply post_json(std::uint16_t port, const std::string& target, const std::string& body);

/// Sends every request at once, each on its own connection, and returns the replies in order.
std::vector<reply> send_concurrently(std::uint16_t port, const std::vector<request_spec>& requests);

/// A raw TCP connection for protocol-level tests (half requests, oversize heads).
class raw_connection {
public:
    explicit raw_connection(std::uint16_t port);
    ~raw_connection();
    void write(const std::string& bytes);
    /// Reads until the peer closes or `timeout_ms` passes; returns what arrived and whether the
    /// peer closed.
    std::pair<std::string, bool> read_until_closed(int timeout_ms);
    /// Reads until what arrived contains `marker`, the peer closes, or `timeout_ms` passes.
    std::pair<std::string, bool> read_until(std::string_view marker, int timeout_ms);
    /// Waits, without reading, until the peer resets the connection or `timeout_ms` passes.
    bool wait_until_reset(int timeout_ms);

private:
    int fd_ = -1;
};

}  // namespace keel::testing
