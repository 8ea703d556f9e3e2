#pragma once
// A throwaway PostgreSQL server for tests (the Testcontainers idea without Docker): initdb into a
// temporary directory, a free loopback port, a Unix socket in that directory. Started on first
// use, stopped and deleted at exit — also when the test process crashes, by a watchdog process.
#include <cstdint>
#include <string>

namespace keel::testing {

/// A loopback TCP port that was free a moment ago.
std::uint16_t free_port();

class postgres_server {
public:
    /// The server of this process, started on first call. Throws std::runtime_error (with the
    /// server log) when it cannot start.
    static postgres_server& instance();
    /// True when PostgreSQL's initdb and pg_ctl are found: KEEL_POSTGRES_BINDIR, else
    /// /usr/lib/postgresql/*/bin (Debian), else PATH.
    static bool installed();

    std::uint16_t port() const noexcept { return port_; }
    /// postgresql://keel@127.0.0.1:PORT/DATABASE
    std::string url(const std::string& database) const;
    /// A new, empty database; returns its URL.
    std::string create_database();
    /// Runs one SQL statement as the superuser (psql), returning its unaligned output.
    std::string psql(const std::string& sql, const std::string& database = "postgres") const;
    /// Stops the server (fast shutdown: sessions are terminated), for fault tests.
    void stop();
    /// Starts it again on the same port.
    void start();
    /// Freezes the server and every backend (SIGSTOP): connections stay open and nothing
    /// answers, as with a host that stopped. thaw() (SIGCONT) resumes them; so does the destructor.
    void freeze();
    void thaw();

    ~postgres_server();
    postgres_server(const postgres_server&) = delete;
    postgres_server& operator=(const postgres_server&) = delete;

private:
    postgres_server();
    std::string as_owner(const std::string& command) const;
    void signal_all(int signal) const;

    std::string bindir_;
    std::string dir_;
    std::uint16_t port_ = 0;
    int watchdog_pipe_ = -1;
    int next_database_ = 0;
};

}  // namespace keel::testing
