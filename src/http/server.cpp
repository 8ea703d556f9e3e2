// The HTTP server: one io_context per thread. Every thread accepts from the one listening socket
// and deals the connections out round robin; a connection lives and dies on the thread it was
// dealt to (src/http/connection.cpp).
#include <keel/http/app.hpp>

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <csignal>
#include <mutex>
#include <optional>
#include <thread>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>

#include <keel/core/log.hpp>
#include <keel/db/pool.hpp>

#include "http/connection.hpp"
#include "http/dispatch.hpp"
#include "http/middleware_chain.hpp"

namespace keel::http {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using detail::clock;
using detail::connection;
using detail::worker;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
// Connections accepted in one go before the thread serves its requests again: enough to empty
// the backlog of a connection storm quickly, few enough that requests keep flowing meanwhile.
constexpr int accept_batch = 64;

}  // namespace

class app::server {
public:
    server(const server_settings& settings, app_state& state, router& routes, const detail::middleware_chain* middleware)
        : settings_(settings), state_(state), dispatcher_(settings, state, routes, middleware)
    {
    }
    ~server() { stop(); }

    std::uint16_t start();
    void stop();
    /// Logs "serving on <url>" once SIGINT/SIGTERM are caught, then waits for one.
    void wait_for_signal(const std::string& url);
    std::uint16_t port() const { return port_; }

private:
    void listen(const tcp::endpoint& endpoint);
    task<void> accept_loop(worker& w);
    bool accept_one(worker& w, boost::system::error_code& ec);
    void serve(worker& target, detail::socket_type socket);
    task<void> sweep_deadlines(worker& w);

    const server_settings& settings_;
    app_state& state_;
    detail::dispatcher dispatcher_;
    std::vector<std::unique_ptr<worker>> workers_;
    log::limiter accept_failures_{std::chrono::seconds(1)};  // EMFILE would otherwise log every 50 ms
    std::atomic<std::size_t> next_worker_{0};
    std::uint16_t port_ = 0;
    bool started_ = false;
    std::atomic<bool> stopped_{false};
    std::mutex done_mutex_;
    std::condition_variable done_cv_;
    std::size_t running_ = 0;
    asio::io_context control_;  // signals; run() waits on it
};

void app::server::listen(const tcp::endpoint& endpoint)
{
    // One socket bound once, without SO_REUSEPORT: a second process on a busy port must fail, not
    // silently share it. Every thread gets a descriptor of it to accept from.
    auto& first = workers_.front()->acceptor.emplace(workers_.front()->ioc);
    first.open(endpoint.protocol());
    first.set_option(tcp::acceptor::reuse_address(true));
    first.bind(endpoint);
    first.listen(asio::socket_base::max_listen_connections);
    first.non_blocking(true);  // accept() answers would_block once the backlog is empty
    port_ = first.local_endpoint().port();
    for (std::size_t i = 1; i < workers_.size(); ++i) {
        const int copy = ::dup(first.native_handle());
        if (copy < 0)
            throw boost::system::system_error(errno, boost::system::system_category(), "dup");
        workers_[i]->acceptor.emplace(workers_[i]->ioc, endpoint.protocol(), copy).non_blocking(true);
    }
}

std::uint16_t app::server::start()
{
    if (started_)
        return port_;
    if (settings_.request_timeout.count() <= 0)
        throw keel::error("REQUEST_TIMEOUT must be positive: every request needs a deadline");
    std::size_t threads = settings_.threads ? settings_.threads : std::max(1u, std::thread::hardware_concurrency());
    boost::system::error_code ec;
    auto address = asio::ip::make_address(settings_.host, ec);
    if (ec)
        throw keel::error("HOST: '" + settings_.host + "' is not an IP address");
    if (settings_.max_concurrent_requests == 0)
        throw keel::error("MAX_CONCURRENT_REQUESTS must be positive");
    for (std::size_t i = 0; i < threads; ++i) {
        workers_.push_back(std::make_unique<worker>());
        workers_.back()->index = i;
        // Shared out so the threads' slots add up to at least the setting.
        workers_.back()->request_slots = (settings_.max_concurrent_requests + threads - 1) / threads;
    }
    try {
        listen(tcp::endpoint(address, settings_.port));
    } catch (const boost::system::system_error& e) {
        workers_.clear();
        throw keel::error(fmt::format("cannot listen on {}:{}: {}", settings_.host, settings_.port, e.code().message()));
    }
    started_ = true;
    running_ = workers_.size();
    for (auto& w : workers_) {
        asio::co_spawn(w->ioc, accept_loop(*w), asio::detached);
        asio::co_spawn(w->ioc, sweep_deadlines(*w), asio::detached);
    }
    for (auto& w : workers_) {
        w->thread = std::thread([this, &w = *w] {
            try {
                w.ioc.run();
            } catch (const std::exception& e) {
                log::critical("I/O thread {} stopped: {}", w.index, e.what());
            }
            std::lock_guard lock(done_mutex_);
            --running_;
            done_cv_.notify_all();
        });
    }
    return port_;
}

void app::server::wait_for_signal(const std::string& url)
{
    asio::signal_set signals(control_, SIGINT, SIGTERM);
    // Only now: a supervisor that signals as soon as it reads this line gets a graceful shutdown,
    // not the default action of SIGTERM (exit 143).
    log::info("serving on {}", url);
    signals.async_wait([](const boost::system::error_code& ec, int signal) {
        if (!ec)
            log::info("received {}, shutting down", signal == SIGINT ? "SIGINT" : "SIGTERM");
    });
    control_.run();
}

void app::server::stop()
{
    if (!started_ || stopped_.exchange(true))
        return;
    control_.stop();
    for (auto& w : workers_)
        asio::post(w->ioc, [&w = *w] {
            w.stopping = true;
            w.busy.reset();
            w.sweeper.cancel();
            boost::system::error_code ignored;
            w.acceptor->close(ignored);
            for (auto* c : w.connections)
                if (c->idle())
                    c->socket.cancel(ignored);  // idle keep-alive connections close now; busy ones after their response
        });
    {
        std::unique_lock lock(done_mutex_);
        if (!done_cv_.wait_for(lock, settings_.shutdown_timeout, [&] { return running_ == 0; })) {
            log::warn("requests still running after shutdown_timeout ({} ms); closing their connections",
                      settings_.shutdown_timeout.count());
            for (auto& w : workers_)
                w->ioc.stop();
        }
    }
    for (auto& w : workers_)
        if (w->thread.joinable())
            w->thread.join();
    if (auto* pool = state_.find<db::pool>())
        pool->close();
    log::info("server stopped");
}

// Accepts until the backlog is empty before waiting again, a batch per turn of the thread's loop,
// so a connection storm neither overflows the backlog nor stalls the requests the thread serves.
// It waits only after the backlog was found empty: the next connection then signals readiness.
task<void> app::server::accept_loop(worker& w)
{
    for (;;) {
        boost::system::error_code ec;
        bool drained = false;
        for (int taken = 0; taken < accept_batch && !drained; ++taken)
            drained = !accept_one(w, ec);
        if (w.stopping || ec == asio::error::operation_aborted || ec == asio::error::bad_descriptor)
            co_return;
        if (ec) {
            // EMFILE and friends: keep serving the connections we have and try again.
            accept_failures_.warn("accept failed: {}", ec.message());
            asio::steady_timer pause(w.ioc, std::chrono::milliseconds(50));
            co_await pause.async_wait(use_tuple);
        } else if (!drained) {
            co_await asio::post(w.ioc, use_tuple);  // more waiting: let this thread's requests run first
        } else {
            co_await w.acceptor->async_wait(tcp::acceptor::wait_read, use_tuple);
        }
    }
}

// Accepts one connection for the next thread in turn; false when the backlog is empty.
bool app::server::accept_one(worker& w, boost::system::error_code& ec)
{
    // The turn advances only when a connection came: an empty backlog must not skip a thread.
    // Two threads accepting at once may deal to the same one; the next turns even it out.
    worker& target = *workers_[next_worker_.load(std::memory_order_relaxed) % workers_.size()];
    detail::socket_type socket(target.ioc);
    w.acceptor->accept(socket, ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) {
        ec = {};
        return false;
    }
    if (ec == asio::error::connection_aborted) {  // reset while in the backlog: take the next one
        ec = {};
        return true;
    }
    if (ec)
        return false;
    next_worker_.fetch_add(1, std::memory_order_relaxed);
    serve(target, std::move(socket));
    return true;
}

void app::server::serve(worker& target, detail::socket_type socket)
{
    auto c = std::make_shared<connection>(target, std::move(socket), settings_);
    auto slot = c->interrupt.slot();
    // The completion handler keeps the connection (and its cancellation signal) alive until the
    // coroutine bound to it has finished.
    asio::co_spawn(target.ioc, detail::serve(c, dispatcher_),
                   asio::bind_cancellation_slot(slot, [c](const std::exception_ptr&) {}));
}

task<void> app::server::sweep_deadlines(worker& w)
{
    // One timer per thread instead of one per socket operation. Deadlines are set from `w.now`,
    // which is up to a tick old, so one fires only a tick after it passed: never early, up to
    // two ticks late.
    const auto shortest = std::min({settings_.read_timeout, settings_.keep_alive_timeout, settings_.request_timeout});
    const auto tick = std::clamp<std::chrono::milliseconds>(shortest / 4, std::chrono::milliseconds(10),
                                                            std::chrono::milliseconds(1000));
    for (;;) {
        w.sweeper.expires_after(tick);
        auto [ec] = co_await w.sweeper.async_wait(use_tuple);
        if (ec || w.stopping)
            co_return;
        w.now = clock::now();
        for (auto* c : w.connections)
            detail::expire(*c, w.now, tick);
    }
}

app::app(server_settings settings) : settings_(std::move(settings)) {}
app::~app() = default;

void app::refuse_after_start() const
{
    if (server_)
        throw std::logic_error("app.provide after start(): provide every object before the server starts");
}

detail::middleware_chain& app::middleware()
{
    if (server_)
        throw std::logic_error("app.use after start(): configure middleware before the server starts");
    if (!middleware_)
        middleware_ = std::make_unique<detail::middleware_chain>();
    return *middleware_;
}

void app::use(const cors& policy) { middleware().cors.emplace(policy); }
void app::use(const csrf& policy) { middleware().csrf.emplace(policy); }

void app::check_wiring() const
{
    std::vector<std::string> missing;
    for (const auto& r : routes())
        for (const auto& [type, name] : r.handler.needs.provided)
            if (!state_.has(type))
                missing.push_back(fmt::format("{} {} needs {}", method_name(r.verb), r.path_template, name));
    if (missing.empty())
        return;
    std::string message = "handlers need objects the app was not given (call app.provide before start()):";
    for (const auto& m : missing)
        message += "\n  " + m;
    throw keel::error(message);
}

std::uint16_t app::start()
{
    if (!server_) {
        check_wiring();
        freeze();
        server_ = std::make_unique<server>(settings_, state_, *this, middleware_.get());
    }
    return server_->start();
}

void app::run()
{
    start();
    server_->wait_for_signal(url());
    stop();
}

void app::stop()
{
    if (server_)
        server_->stop();
}

std::string app::url() const
{
    const auto host = settings_.host.find(':') != std::string::npos ? "[" + settings_.host + "]" : settings_.host;
    return fmt::format("http://{}:{}", host, server_ ? server_->port() : settings_.port);
}

}  // namespace keel::http
