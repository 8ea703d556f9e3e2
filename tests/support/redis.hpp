#pragma once
// A throwaway Redis server for tests, like postgres.hpp's PostgreSQL: redis-server on a free
// loopback port, its files in a temporary directory, no persistence. Stopped and deleted with the
// object — also when the test process crashes, by a watchdog process.
#include <cstdint>
#include <string>

#include <sys/types.h>

namespace keel::testing {

class redis_server {
public:
    /// Starts it; throws std::runtime_error (with the server log) when it cannot.
    redis_server();
    ~redis_server();
    redis_server(const redis_server&) = delete;
    redis_server& operator=(const redis_server&) = delete;

    /// True when redis-server is installed (scripts/setup installs it).
    static bool installed();

    std::uint16_t port() const noexcept { return port_; }
    /// redis://127.0.0.1:PORT
    std::string url() const;

    /// Stops the server (SIGTERM, waited for): connections are refused until start().
    void stop();
    /// Starts it again on the same port, empty.
    void start();
    /// Freezes it (SIGSTOP): connections are still accepted by the kernel, nothing is answered.
    /// thaw() (SIGCONT) resumes it; so does the destructor.
    void freeze();
    void thaw();

private:
    bool launch();

    std::string dir_;
    std::uint16_t port_ = 0;
    pid_t pid_ = -1;
    int log_fd_ = -1;  // the server's log (its stdout), read until it is ready
    std::string log_;
    int watchdog_pipe_ = -1;
};

}  // namespace keel::testing
