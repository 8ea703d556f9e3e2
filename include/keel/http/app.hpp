#pragma once
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include <boost/describe/class.hpp>

#include <keel/http/middleware.hpp>
#include <keel/http/router.hpp>

namespace keel::http {

namespace detail {
struct middleware_chain;
}

/// The HTTP server's settings; a field of this struct is read from the variable of the same name
/// in upper case (HOST, PORT, …) when embedded in the application's settings struct.
struct server_settings {
    std::string host = "127.0.0.1";
    std::uint16_t port = 8000;
    /// I/O threads, each with its own io_context; 0 means one per core.
    std::size_t threads = 0;
    /// Larger bodies are refused with 413.
    std::size_t max_body_size = 1024 * 1024;
    /// Larger request heads (request line + headers) are refused with 431.
    std::size_t max_header_size = 8 * 1024;
    /// Time allowed to receive a whole request once its first byte arrived.
    std::chrono::milliseconds read_timeout{30'000};
    /// The most a request may take from its last byte to its response: past it the handler's
    /// pending operation is interrupted (a PostgreSQL statement is cancelled on the server, a
    /// SQLite statement stopped on its worker), its transaction rolled back, and the answer is 504.
    std::chrono::milliseconds request_timeout{30'000};
    /// How long an idle keep-alive connection stays open.
    std::chrono::milliseconds keep_alive_timeout{60'000};
    /// Requests in handlers at once (shared out over the threads); more wait, in arrival order,
    /// with their requests read but no handler memory yet, and get 503 if no slot frees within
    /// request_timeout. Bounds the server's memory under thousands of busy connections.
    std::size_t max_concurrent_requests = 2048;
    /// After SIGINT/SIGTERM, how long in-flight requests may take before connections are cut.
    /// A SQLite call or hash they started still ends on its worker before the threads are freed.
    std::chrono::milliseconds shutdown_timeout{10'000};
    std::string log_level = "info";
};
BOOST_DESCRIBE_STRUCT(server_settings, (),
                      (host, port, threads, max_body_size, max_header_size, read_timeout, request_timeout, keep_alive_timeout,
                       max_concurrent_requests, shutdown_timeout, log_level))

/// A keel application: routes, shared objects and the server that runs them.
class app : public router {
public:
    explicit app(server_settings settings = {});
    ~app();
    app(const app&) = delete;
    app& operator=(const app&) = delete;

    /// Makes `object` available to handlers as a `const T&` parameter.
    /// Throws std::logic_error once the server has started (I/O threads read these unlocked).
    template <class T>
    void provide(std::shared_ptr<T> object)
    {
        refuse_after_start();
        state_.provide(std::move(object));
    }
    /// The database; handlers then take a `db::session&`. The pool is closed at shutdown.
    void provide(db::pool database) { provide(std::make_shared<db::pool>(std::move(database))); }

    /// Answers CORS preflights and adds CORS headers to responses (see cors). Throws keel::error
    /// for a malformed origin, method or header, or credentials with the origin "*";
    /// std::logic_error once the server has started.
    void use(const cors& policy);
    /// Refuses cross-site forged requests (see csrf), after CORS. Throws as use(cors) does.
    void use(const csrf& policy);

    /// Serves until SIGINT or SIGTERM, then shuts down gracefully: stops accepting, lets
    /// in-flight requests finish (up to shutdown_timeout), closes the database pool.
    void run();
    /// Starts serving on background threads and returns the bound port (useful with port 0).
    /// Throws keel::error when a handler needs an object nobody provided, naming each route
    /// and type, or when the port cannot be bound.
    std::uint16_t start();
    /// Graceful shutdown, as after a signal; blocks until done. Idempotent.
    void stop();
    /// "http://127.0.0.1:8000" once started.
    std::string url() const;

private:
    class server;
    void check_wiring() const;
    void refuse_after_start() const;
    detail::middleware_chain& middleware();
    server_settings settings_;
    app_state state_;
    std::unique_ptr<detail::middleware_chain> middleware_;  // null until use(): nothing to run per request
    std::unique_ptr<server> server_;
};

}  // namespace keel::http
