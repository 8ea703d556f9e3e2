#pragma once
// Runs a keel app on an ephemeral port for the duration of a test.
#include <cstdint>
#include <memory>

#include <keel/http/app.hpp>

namespace keel::testing {

/// Test-friendly server settings: port 0, two I/O threads, short timeouts.
inline http::server_settings test_server_settings()
{
    http::server_settings s;
    s.port = 0;
    s.threads = 2;
    s.read_timeout = std::chrono::milliseconds(500);
    s.keep_alive_timeout = std::chrono::milliseconds(500);
    s.shutdown_timeout = std::chrono::seconds(5);
    return s;
}

/// Starts `app` now and stops it (gracefully) when destroyed.
class running_app {
public:
    explicit running_app(std::unique_ptr<http::app> app) : app_(std::move(app)), port_(app_->start()) {}
    ~running_app() { app_->stop(); }
    std::uint16_t port() const { return port_; }
    http::app& app() { return *app_; }

private:
    std::unique_ptr<http::app> app_;
    std::uint16_t port_;
};

}  // namespace keel::testing
