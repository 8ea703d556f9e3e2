// The HTTP server: one io_context per thread; one acceptor hands each new socket to the next
// thread's io_context, where the connection lives and dies. Beast is compiled here only.
#include <keel/http/app.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <condition_variable>
#include <csignal>
#include <ctime>
#include <list>
#include <mutex>
#include <optional>
#include <thread>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/read_size.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/status.hpp>
#include <fmt/format.h>

#include <keel/core/log.hpp>

#include "http/error_map.hpp"
#include "http/native.hpp"
#include "http/percent.hpp"

namespace keel::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using clock = std::chrono::steady_clock;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
using detail::native_request;
using native_parser = bhttp::parser<true, bhttp::string_body, std::pmr::polymorphic_allocator<char>>;
// The socket type accept gives for an io_context: its operations need no polymorphic executor.
using socket_type = asio::basic_stream_socket<tcp, asio::io_context::executor_type>;

method to_method(bhttp::verb v)
{
    switch (v) {
    case bhttp::verb::get: return method::get;
    case bhttp::verb::head: return method::head;
    case bhttp::verb::post: return method::post;
    case bhttp::verb::put: return method::put;
    case bhttp::verb::patch: return method::patch;
    case bhttp::verb::delete_: return method::delete_;
    case bhttp::verb::options: return method::options;
    default: return method::other;
    }
}

// RFC 9110 6.6.1: Date in IMF-fixdate; formatted once per second per thread.
std::string_view http_date()
{
    thread_local std::time_t cached_second = 0;
    thread_local char text[64];
    const std::time_t now = std::time(nullptr);
    if (now != cached_second) {
        std::tm utc{};
        gmtime_r(&now, &utc);
        std::strftime(text, sizeof text, "%a, %d %b %Y %H:%M:%S GMT", &utc);
        cached_second = now;
    }
    return text;
}

// A header name or value with CR or LF would let a handler split the response (RFC 9112 11.1).
bool safe_header_text(std::string_view text) { return text.find_first_of("\r\n") == std::string_view::npos; }

void append_number(std::string& out, std::size_t n)
{
    char digits[24];
    const auto end = std::to_chars(digits, digits + sizeof digits, n).ptr;
    out.append(digits, end);
}

// The status line and headers of `out`, written by hand into a reused buffer: no allocation,
// no format parsing, on every response.
void write_head(std::string& head, const response& out, unsigned version, bool keep_alive)
{
    head.clear();
    head.append(version >= 11 ? "HTTP/1.1 " : "HTTP/1.0 ");
    append_number(head, static_cast<std::size_t>(out.status));
    head += ' ';
    head.append(bhttp::obsolete_reason(static_cast<bhttp::status>(out.status)));
    head.append("\r\nServer: keel\r\nDate: ").append(http_date()).append("\r\n");
    const bool bodiless = out.status == 204 || out.status == 304 || out.status < 200;
    if (!bodiless) {
        head.append("Content-Type: ").append(out.content_type).append("\r\nContent-Length: ");
        append_number(head, out.body.size());
        head.append("\r\n");
    }
    if (!keep_alive && version >= 11)
        head.append("Connection: close\r\n");
    else if (keep_alive && version < 11)
        head.append("Connection: keep-alive\r\n");
    for (const auto& [name, value] : out.headers) {
        if (!safe_header_text(name) || !safe_header_text(value)) {
            log::error("dropped response header '{}': CR or LF in its name or value", name);
            continue;
        }
        head.append(name).append(": ").append(value).append("\r\n");
    }
    head.append("\r\n");
}

// A connection as its worker's deadline sweep sees it. Owned by the connection's coroutine and
// its completion handler, so the cancellation signal outlives the coroutine bound to it.
struct connection_entry {
    socket_type* socket = nullptr;
    // When the pending read or write is cut off, or, while the handler runs, when the request
    // times out. Checked by the worker's sweep.
    clock::time_point deadline = clock::time_point::max();
    bool busy = false;
    bool in_handler = false;
    bool timed_out = false;  // the request outlived request_timeout: its answer is 504
    asio::cancellation_signal interrupt;  // ends the handler's pending operation
    std::string peer_address;             // formatted once per connection, for request::peer_address
};

// RFC 9112 6.1 and 6.3: a request whose body length is ambiguous could be read differently by a
// proxy in front of keel (request smuggling), and an HTTP/1.1 request needs exactly one Host
// (RFC 9112 3.2). Beast accepts some of these, so they are checked here; the connection is then
// closed, so nothing after such a request is read as one.
struct framing_error {
    int status;
    std::string_view detail;
};

std::optional<framing_error> framing_problem(const native_request& req)
{
    const auto codings = req.equal_range(bhttp::field::transfer_encoding);
    if (codings.first != codings.second) {
        if (req.find(bhttp::field::content_length) != req.end())
            return framing_error{400, "Malformed HTTP request: Transfer-Encoding and Content-Length together"};
        std::string_view last;
        int chunked = 0, others = 0;
        for (auto field = codings.first; field != codings.second; ++field)
            for (auto coding : bhttp::token_list(field->value())) {
                last = coding;
                (beast::iequals(coding, "chunked") ? chunked : others) += 1;
            }
        if (chunked != 1 || !beast::iequals(last, "chunked"))
            return framing_error{400, "Malformed HTTP request: Transfer-Encoding must end with chunked, once"};
        if (others > 0)  // RFC 9112 6.1: a coding the server does not understand
            return framing_error{501, "Transfer-Encoding other than chunked is not supported"};
    }
    if (req.version() >= 11 && req.count(bhttp::field::host) != 1)
        return framing_error{400, "Malformed HTTP request: an HTTP/1.1 request needs exactly one Host header"};
    return std::nullopt;
}

bool expects_continue(const native_request& req)
{
    const auto found = req.find(bhttp::field::expect);
    return found != req.end() && beast::iequals(found->value(), "100-continue");
}

}  // namespace

class app::server {
public:
    server(const server_settings& settings, app_state& state, router& routes)
        : settings_(settings), state_(state), routes_(routes)
    {
    }
    ~server() { stop(); }

    std::uint16_t start();
    void stop();
    void wait_for_signal();
    std::uint16_t port() const { return port_; }

private:
    struct worker {
        asio::io_context ioc{1};
        // Keeps run() going while the thread has no connection yet; released at shutdown.
        asio::executor_work_guard<asio::io_context::executor_type> busy{ioc.get_executor()};
        std::list<connection_entry*> connections;  // touched only on this worker's thread
        asio::steady_timer sweeper{ioc};
        clock::time_point now = clock::now();  // refreshed by each sweep: deadlines need no clock read
        bool stopping = false;
        std::uint64_t requests = 0;
        std::size_t index = 0;
        std::thread thread;
    };

    void listen(const tcp::endpoint& endpoint);
    task<void> accept_loop();
    task<void> sweep_deadlines(worker& w);
    task<void> serve_connection(worker& w, socket_type socket, connection_entry& entry);
    task<response> handle(worker& w, connection_entry& entry, native_request& req);
    task<response> dispatch(connection_entry& entry, const request& view, std::string_view request_id);

    const server_settings& settings_;
    app_state& state_;
    router& routes_;
    std::vector<std::unique_ptr<worker>> workers_;
    std::optional<tcp::acceptor> acceptor_;  // on workers_[0]
    log::limiter accept_failures_{std::chrono::seconds(1)};  // EMFILE would otherwise log every 50 ms
    std::size_t next_worker_ = 0;
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
    // No SO_REUSEPORT: a second process on a busy port must fail, not silently share it.
    auto& acceptor = acceptor_.emplace(workers_.front()->ioc);
    acceptor.open(endpoint.protocol());
    acceptor.set_option(tcp::acceptor::reuse_address(true));
    acceptor.bind(endpoint);
    acceptor.listen(asio::socket_base::max_listen_connections);
    port_ = acceptor.local_endpoint().port();
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
    for (std::size_t i = 0; i < threads; ++i) {
        workers_.push_back(std::make_unique<worker>());
        workers_.back()->index = i;
    }
    try {
        listen(tcp::endpoint(address, settings_.port));
    } catch (const boost::system::system_error& e) {
        acceptor_.reset();
        workers_.clear();
        throw keel::error(fmt::format("cannot listen on {}:{}: {}", settings_.host, settings_.port, e.code().message()));
    }
    started_ = true;
    running_ = workers_.size();
    asio::co_spawn(workers_.front()->ioc, accept_loop(), asio::detached);
    for (auto& w : workers_)
        asio::co_spawn(w->ioc, sweep_deadlines(*w), asio::detached);
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

void app::server::wait_for_signal()
{
    asio::signal_set signals(control_, SIGINT, SIGTERM);
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
    asio::post(workers_.front()->ioc, [this] {
        boost::system::error_code ignored;
        acceptor_->close(ignored);
    });
    for (auto& w : workers_)
        asio::post(w->ioc, [&w = *w] {
            w.stopping = true;
            w.busy.reset();
            w.sweeper.cancel();
            boost::system::error_code ignored;
            for (auto* c : w.connections)
                if (!c->busy)
                    c->socket->cancel(ignored);  // idle keep-alive connections close now; busy ones after their response
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

task<void> app::server::accept_loop()
{
    for (;;) {
        worker& w = *workers_[next_worker_];
        next_worker_ = (next_worker_ + 1) % workers_.size();
        auto [ec, socket] = co_await acceptor_->async_accept(w.ioc, use_tuple);
        if (!acceptor_->is_open() || ec == asio::error::operation_aborted)
            co_return;
        if (ec) {
            // EMFILE and friends: keep serving the connections we have and try again.
            accept_failures_.warn("accept failed: {}", ec.message());
            asio::steady_timer pause(workers_.front()->ioc, std::chrono::milliseconds(50));
            co_await pause.async_wait(use_tuple);
            continue;
        }
        auto entry = std::make_shared<connection_entry>();
        auto slot = entry->interrupt.slot();
        asio::co_spawn(w.ioc, serve_connection(w, std::move(socket), *entry),
                       asio::bind_cancellation_slot(slot, [entry](const std::exception_ptr&) {}));
    }
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
        boost::system::error_code ignored;
        for (auto* c : w.connections) {
            if (c->deadline == clock::time_point::max() || c->deadline + tick > w.now)
                continue;
            c->deadline = clock::time_point::max();
            if (c->in_handler) {
                c->timed_out = true;
                c->interrupt.emit(asio::cancellation_type::terminal);
            } else {
                c->socket->cancel(ignored);  // the pending read or write ends with operation_aborted
            }
        }
    }
}

// GCC 12 at -O2 reports asio's coroutine frame new/delete pair as mismatched once this frame is
// large enough to bypass asio's frame cache: a false positive (GCC PR 109224).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
task<void> app::server::serve_connection(worker& w, socket_type socket, connection_entry& entry)
{
    boost::system::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    entry.socket = &socket;
    if (const auto peer = socket.remote_endpoint(ignored); !ignored)
        entry.peer_address = peer.address().to_string();
    w.connections.push_front(&entry);
    const auto registered = w.connections.begin();
    beast::flat_buffer buffer;
    std::string head;  // the response head, reused across the connection's requests
    std::array<std::byte, 2048> arena;
    std::pmr::monotonic_buffer_resource fields_memory(arena.data(), arena.size());
    try {
        while (!w.stopping) {
            fields_memory.release();
            native_parser parser(std::piecewise_construct, std::make_tuple(),
                                 std::make_tuple(std::pmr::polymorphic_allocator<char>(&fields_memory)));
            parser.header_limit(static_cast<std::uint32_t>(settings_.max_header_size));
            parser.body_limit(settings_.max_body_size);
            parser.eager(true);
            // Idle between requests, the keep-alive timeout applies; from the first byte, the whole
            // request must arrive within read_timeout.
            entry.busy = buffer.size() > 0;
            entry.deadline = w.now + (entry.busy ? settings_.read_timeout : settings_.keep_alive_timeout);
            boost::system::error_code ec;
            bool continue_sent = false;
            bool framing_checked = false;
            std::optional<framing_error> bad_framing;
            for (;;) {
                if (buffer.size() > 0) {
                    const auto used = parser.put(buffer.data(), ec);
                    buffer.consume(used);
                    if (ec == bhttp::error::need_more)
                        ec = {};
                    if (!ec && parser.is_header_done() && !framing_checked) {
                        framing_checked = true;  // before the body is read or 100 Continue sent
                        if ((bad_framing = framing_problem(parser.get())))
                            break;
                    }
                    if (ec || parser.is_done())
                        break;
                    if (used > 0 && buffer.size() > 0)
                        continue;
                }
                // RFC 9110 10.1.1: a client that sent Expect: 100-continue waits for this before the body.
                if (parser.is_header_done() && !continue_sent && expects_continue(parser.get())) {
                    continue_sent = true;
                    static constexpr std::string_view go_on = "HTTP/1.1 100 Continue\r\n\r\n";
                    auto [write_ec, sent] = co_await asio::async_write(socket, asio::buffer(go_on), use_tuple);
                    if ((ec = write_ec))
                        break;
                }
                auto [read_ec, n] = co_await socket.async_read_some(buffer.prepare(beast::read_size(buffer, 65536)), use_tuple);
                if (read_ec == asio::error::eof) {
                    if (parser.got_some())
                        parser.put_eof(ec);
                    else
                        ec = bhttp::error::end_of_stream;
                    break;
                }
                if ((ec = read_ec))
                    break;
                buffer.commit(n);
                if (!entry.busy) {
                    entry.busy = true;
                    entry.deadline = w.now + settings_.read_timeout;
                }
            }
            entry.deadline = clock::time_point::max();
            std::optional<response> res;
            bool keep_alive = false;
            if (bad_framing) {
                res = detail::detail_response(bad_framing->status, bad_framing->detail);
            } else if (!ec) {
                res = co_await handle(w, entry, parser.get());
                keep_alive = parser.get().keep_alive() && !w.stopping;
            } else if (ec == bhttp::error::header_limit) {
                res = detail::detail_response(431, "Request header fields too large");
            } else if (ec == bhttp::error::body_limit) {
                res = detail::detail_response(413, "Request body too large");
            } else if (ec.category() == bhttp::make_error_code(bhttp::error::bad_method).category() &&
                       ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message) {
                res = detail::detail_response(400, "Malformed HTTP request");
            }
            if (!res)
                break;  // timeout, reset or a client that went away: nobody to answer
            const unsigned version = parser.get().version() ? parser.get().version() : 11;
            write_head(head, *res, version, keep_alive);
            const bool with_body = parser.get().method() != bhttp::verb::head && !res->body.empty();
            const std::array<asio::const_buffer, 2> message{asio::buffer(head),
                                                            asio::buffer(res->body.data(), with_body ? res->body.size() : 0)};
            entry.deadline = w.now + settings_.read_timeout;
            auto [write_ec, written] = co_await asio::async_write(socket, message, use_tuple);
            entry.deadline = clock::time_point::max();
            entry.busy = false;
            if (write_ec || !keep_alive)
                break;
        }
    } catch (const std::exception& e) {
        log::error("connection error: {}", e.what());
    }
    w.connections.erase(registered);
    socket.shutdown(tcp::socket::shutdown_send, ignored);
    socket.close(ignored);
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

task<response> app::server::handle(worker& w, connection_entry& entry, native_request& req)
{
    // Timing and the access log only when it is written: two clock reads per request otherwise.
    const bool access_log = spdlog::should_log(spdlog::level::info);
    const auto started = access_log ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point{};
    char id_text[48];  // "<thread>-<count>"
    char* id_end = std::to_chars(id_text, id_text + 20, w.index).ptr;
    *id_end++ = '-';
    id_end = std::to_chars(id_end, id_text + sizeof id_text, ++w.requests).ptr;
    const std::string_view request_id(id_text, static_cast<std::size_t>(id_end - id_text));
    const method m = to_method(req.method());
    const request view(m, req.method_string(), req.target(), req.body(), &req, entry.peer_address);
    entry.in_handler = true;
    entry.deadline = w.now + settings_.request_timeout;
    response out = co_await dispatch(entry, view, request_id);
    entry.in_handler = false;
    entry.deadline = clock::time_point::max();
    if (access_log) {
        const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
        // Path only: query strings and bodies can carry secrets.
        log::info("{} {} {} {} {:.2f}ms", request_id, view.method_name(), view.path(), out.status, ms);
    }
    co_return out;
}

task<response> app::server::dispatch(connection_entry& entry, const request& view, std::string_view request_id)
{
    auto found = routes_.match(view.method(), view.path());
    if (std::holds_alternative<router::not_found>(found))
        co_return detail::detail_response(404, "Not Found");
    if (auto* wrong = std::get_if<router::method_not_allowed>(&found)) {
        auto out = detail::detail_response(405, "Method Not Allowed");
        out.headers.emplace_back("Allow", wrong->allow);
        co_return out;
    }
    auto& route = std::get<router::matched>(found);
    std::vector<std::string> decoded;
    decoded.reserve(route.values.size());
    for (auto raw : route.values)
        decoded.push_back(detail::percent_decode(raw, false));
    std::vector<std::string_view> values(decoded.begin(), decoded.end());
    request_context ctx{view, values, *route.names, state_};

    const detail::request_site site{request_id, view.method_name(), *route.path_template};
    std::exception_ptr failure;
    std::optional<response> out;  // not a default response: its content type would be built for nothing
    try {
        out = co_await route.handler->call(ctx);
        if (ctx.session)
            co_await ctx.session->commit();  // before answering: a failed commit is the request's failure
    } catch (...) {
        failure = std::current_exception();
    }
    if (entry.timed_out) {
        entry.in_handler = false;
        co_await asio::this_coro::reset_cancellation_state();  // what follows must not be interrupted
    }
    if (!failure)
        co_return std::move(*out);
    if (ctx.session && ctx.session->in_transaction()) {
        std::exception_ptr rollback_failure;
        try {
            co_await ctx.session->rollback();
        } catch (...) {
            rollback_failure = std::current_exception();
        }
        if (rollback_failure)
            detail::error_response(rollback_failure, site);  // logs it; the first failure is the answer
    }
    if (entry.timed_out) {
        log::warn("[{}] 504: {} {} outlived REQUEST_TIMEOUT ({} ms); it was interrupted and rolled back", request_id,
                  view.method_name(), view.path(), settings_.request_timeout.count());
        co_return detail::detail_response(504, "Request timed out");
    }
    co_return detail::error_response(failure, site);
}

app::app(server_settings settings) : settings_(std::move(settings)) {}
app::~app() = default;

void app::refuse_after_start() const
{
    if (server_)
        throw std::logic_error("app.provide after start(): provide every object before the server starts");
}

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
        server_ = std::make_unique<server>(settings_, state_, *this);
    }
    return server_->start();
}

void app::run()
{
    start();
    log::info("serving on {}", url());
    server_->wait_for_signal();
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
