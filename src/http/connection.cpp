// A connection's life: read and parse requests (several per read when the client pipelines),
// hand each to the dispatcher in order, and write the responses, several per write, in order.
// Beast's parser is compiled here only.
#include "http/connection.hpp"

#include <algorithm>
#include <optional>

#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/read_size.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/rfc7230.hpp>

#include <keel/core/log.hpp>
#include <keel/http/app.hpp>

#include "core/ascii.hpp"
#include "http/dispatch.hpp"
#include "http/error_map.hpp"
#include "http/request_parser.hpp"
#include "http/response_text.hpp"

namespace keel::http::detail {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

namespace {

using keel::detail::equals_ignoring_case;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

// Past this many bytes of responses not yet written, the connection stops reading requests until
// the client reads: a client that pipelines without reading cannot make the server buffer more.
constexpr std::size_t queued_limit = 1024 * 1024;
// A read takes at most max_read, and at least connection::read_size, which grows while reads fill
// it up to max_pipelined_read: enough for dozens of pipelined requests. The read buffer keeps its
// size, so an idle connection holds at most that much more than before its client pipelined.
constexpr std::size_t max_read = 64 * 1024;
constexpr std::size_t max_pipelined_read = 8 * 1024;
// A write buffer grown past this by a large response is given back once written: thousands of
// idle connections must not each keep the largest response they ever sent. 16 pipelined small
// responses fit.
constexpr std::size_t kept_capacity = 8 * 1024;

// RFC 9112 6.1 and 6.3: a request whose body length is ambiguous could be read differently by a
// proxy in front of keel (request smuggling), and an HTTP/1.1 request needs exactly one Host
// (RFC 9112 3.2). Beast accepts some of these, so they are checked here; the connection is then
// closed, so nothing after such a request is read as one.
struct framing_error {
    int status;
    std::string_view detail;
};

std::optional<framing_error> framing_problem(const parsed_request& req)
{
    if (req.find(bhttp::field::transfer_encoding)) {
        if (req.find(bhttp::field::content_length))
            return framing_error{400, "Malformed HTTP request: Transfer-Encoding and Content-Length together"};
        std::string_view last;
        int chunked = 0, others = 0;
        req.for_each(bhttp::field::transfer_encoding, [&](std::string_view codings) {
            for (auto coding : bhttp::token_list(codings)) {
                last = {coding.data(), coding.size()};
                (equals_ignoring_case(last, "chunked") ? chunked : others) += 1;
            }
        });
        if (chunked != 1 || !equals_ignoring_case(last, "chunked"))
            return framing_error{400, "Malformed HTTP request: Transfer-Encoding must end with chunked, once"};
        if (others > 0)  // RFC 9112 6.1: a coding the server does not understand
            return framing_error{501, "Transfer-Encoding other than chunked is not supported"};
    }
    if (req.version >= 11 && req.count(bhttp::field::host) != 1)
        return framing_error{400, "Malformed HTTP request: an HTTP/1.1 request needs exactly one Host header"};
    return std::nullopt;
}

bool expects_continue(const parsed_request& req)
{
    const auto found = req.find(bhttp::field::expect);
    return found && equals_ignoring_case(*found, "100-continue");
}

// With nothing left to send, one buffer is enough for the next responses, and the one just
// written is kept for them (no allocation per response): thousands of connections must not each
// keep two, nor one a large response grew.
void keep_one_buffer(connection& c)
{
    if (c.queued.empty() && c.queued.capacity() < c.sending.capacity() && c.sending.capacity() <= kept_capacity)
        c.queued.swap(c.sending);
    std::string().swap(c.sending);
    if (c.queued.capacity() > kept_capacity)
        std::string().swap(c.queued);
}

// Starts writing everything queued unless a write is in flight (whose completion continues with
// what was queued meanwhile). The completion handler owns `c`: it may outlive the coroutine.
void flush(const std::shared_ptr<connection>& c)
{
    if (c->writing || c->queued.empty() || c->write_error)
        return;
    c->sending.swap(c->queued);
    c->writing = true;
    c->write_deadline = c->w.now + c->settings.read_timeout;
    asio::async_write(c->socket, asio::buffer(c->sending), [c](const boost::system::error_code& ec, std::size_t) {
        c->writing = false;
        c->write_deadline = clock::time_point::max();
        c->sending.clear();
        if (ec)
            c->write_error = ec;
        else
            flush(c);  // what was queued meanwhile
        if (!c->writing)
            keep_one_buffer(*c);
        boost::system::error_code ignored;
        if (c->waiting)
            c->wake.cancel();
        else if (c->w.stopping && c->idle())
            c->socket.cancel(ignored);  // shutting down: a connection waiting for its next request closes now
    });
}

// Flushes once the coroutine next suspends: responses of pipelined requests handled without
// suspending go out in one write, and a handler that suspends holds back only what follows it.
void flush_soon(const std::shared_ptr<connection>& c)
{
    if (c->flush_posted || c->queued.empty())
        return;
    c->flush_posted = true;
    asio::post(c->socket.get_executor(), [c] {
        c->flush_posted = false;
        flush(c);
    });
}

// Suspends until no more than `limit` bytes wait to be written, or writing failed.
task<void> drain(const std::shared_ptr<connection>& c, std::size_t limit)
{
    flush(c);
    while (c->writing && c->queued.size() + c->sending.size() > limit && !c->write_error) {
        c->waiting = true;
        c->wake.expires_at(clock::time_point::max());
        co_await c->wake.async_wait(use_tuple);
        c->waiting = false;
    }
}

struct read_result {
    boost::system::error_code ec;
    std::optional<framing_error> bad_framing;
    bool framing_checked = false;
    std::optional<bool> plain_keep_alive;  // set when parse_plain_request read the request
    bool continue_sent = false;            // 100 Continue queued for this request
    std::size_t offered = 0;               // the space offered to the last read; 0 before the first

    /// A whole, safely framed request: one for a handler.
    bool readable() const { return !ec && !bad_framing; }
};

// The answer to a request that could not be read whole or is framed ambiguously, or nullopt when
// there is nobody to answer (a timeout, a reset, a client that went away between requests).
std::optional<response> answer_to_read_failure(const read_result& got)
{
    if (got.bad_framing)
        return detail_response(got.bad_framing->status, got.bad_framing->detail);
    const auto& ec = got.ec;
    if (ec == bhttp::error::header_limit)
        return detail_response(431, "Request header fields too large");
    if (ec == bhttp::error::body_limit)
        return detail_response(413, "Request body too large");
    if (ec.category() == bhttp::make_error_code(bhttp::error::bad_method).category() &&
        ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message)
        return detail_response(400, "Malformed HTTP request");
    return std::nullopt;
}

// Feeds what `buffer` holds to `parser`; true once the request is whole or failed (`got` says
// which), false when it needs more bytes. Bytes of pipelined requests after it stay in `buffer`.
bool parse_buffered(beast::flat_buffer& buffer, request_parser& parser, read_result& got, std::size_t header_limit)
{
    if (!parser.got_some()) {
        const auto* bytes = static_cast<const char*>(buffer.data().data());
        if (auto plain = parse_plain_request({bytes, buffer.size()}, header_limit, parser.get())) {
            buffer.consume(plain->used);
            got.plain_keep_alive = plain->keep_alive;
            got.framing_checked = true;
            got.bad_framing = framing_problem(parser.get());
            return true;
        }
    }
    while (buffer.size() > 0) {
        const auto used = parser.put(buffer.data(), got.ec);
        buffer.consume(used);
        if (got.ec == bhttp::error::need_more)
            got.ec = {};
        if (!got.ec && parser.is_header_done() && !got.framing_checked) {
            got.framing_checked = true;  // before the body is read or 100 Continue sent
            if ((got.bad_framing = framing_problem(parser.get())))
                return true;
        }
        if (got.ec || parser.is_done())
            return true;
        if (used == 0)
            return false;
    }
    return false;
}

// The next read of the request `parser` is reading, after what waits to go out. Not a coroutine:
// serve awaits the read itself, so a connection waiting for its next request holds no frame of
// ours for it (only Asio's, for the read).
// Idle before a request, the keep-alive timeout applies; from its first byte, the whole request
// must arrive within read_timeout.
auto read_more(const std::shared_ptr<connection>& c, beast::flat_buffer& buffer, const request_parser& parser,
               read_result& got)
{
    if (got.offered == 0)  // the first read of this request
        c->deadline = c->w.now + (c->in_request ? c->settings.read_timeout : c->settings.keep_alive_timeout);
    // RFC 9110 10.1.1: a client that sent Expect: 100-continue waits for this before the body.
    if (parser.is_header_done() && !got.continue_sent && expects_continue(parser.get())) {
        got.continue_sent = true;
        c->queued.append("HTTP/1.1 100 Continue\r\n\r\n");
    }
    flush(c);  // about to wait for the client: what is queued goes out now
    got.offered = std::max(beast::read_size(buffer, max_read), c->read_size);
    return c->socket.async_read_some(buffer.prepare(got.offered), use_tuple);
}

// Takes in what read_more's read brought; true once `parser` holds one whole request or it failed
// (`got` says which), false when it needs another read. Bytes of pipelined requests after it stay
// in `buffer`.
bool take_read(connection& c, beast::flat_buffer& buffer, request_parser& parser, read_result& got,
               const boost::system::error_code& read_ec, std::size_t n)
{
    if (n == got.offered)  // the client sent more than fitted (it pipelines): read more at a time
        c.read_size = std::min(2 * c.read_size, max_pipelined_read);
    bool done = true;
    if (read_ec == asio::error::eof) {
        if (parser.got_some())
            parser.put_eof(got.ec);
        else
            got.ec = bhttp::error::end_of_stream;
    } else if (!(got.ec = read_ec)) {
        buffer.commit(n);
        if (!c.in_request) {
            c.in_request = true;
            c.deadline = c.w.now + c.settings.read_timeout;
        }
        done = parse_buffered(buffer, parser, got, c.settings.max_header_size);
    }
    if (done)
        c.deadline = clock::time_point::max();
    return done;
}

// A request slot (max_concurrent_requests) free now, if no connection waits for one already.
bool take_free_request_slot(worker& w)
{
    if (w.requests_in_handlers >= w.request_slots || !w.awaiting_slot.empty())
        return false;
    ++w.requests_in_handlers;
    return true;
}

// Waits behind earlier connections for a request slot: past max_concurrent_requests, requests
// wait here, read but not yet costing a handler's memory. False when none came within
// request_timeout.
task<bool> wait_for_request_slot(const std::shared_ptr<connection>& c)
{
    auto& w = c->w;
    w.awaiting_slot.push_back(c.get());
    c->awaiting_slot = true;
    c->has_slot = false;
    c->deadline = w.now + c->settings.request_timeout;
    c->wake.expires_at(clock::time_point::max());
    co_await c->wake.async_wait(use_tuple);
    c->awaiting_slot = false;
    c->deadline = clock::time_point::max();
    if (!c->has_slot)  // its deadline passed: the sweep woke it
        std::erase(w.awaiting_slot, c.get());
    co_return c->has_slot;
}

// Gives the slot to the connection that waited longest, if any.
void give_back_request_slot(worker& w)
{
    if (w.awaiting_slot.empty()) {
        --w.requests_in_handlers;
        return;
    }
    connection* next = w.awaiting_slot.front();
    w.awaiting_slot.pop_front();
    next->has_slot = true;
    next->wake.cancel();
}

response server_busy()
{
    auto res = detail_response(503, "Server busy: too many requests in progress");
    res.headers.emplace_back("Retry-After", "1");
    return res;
}

// Queues `res`, the answer to the request just read (none: nobody to answer); false when the
// connection ends after it (an unreadable request, Connection: close, shutdown): requests
// pipelined after it are not handled.
bool queue_answer(connection& c, const request_parser& parser, const read_result& got, const std::optional<response>& res)
{
    c.in_request = false;
    if (!res)
        return false;
    const bool keep_alive =
        got.readable() && (got.plain_keep_alive ? *got.plain_keep_alive : parser.keep_alive()) && !c.w.stopping;
    const unsigned version = parser.get().version ? parser.get().version : 11;
    append_response(c.queued, *res, version, keep_alive, parser.get().method != bhttp::verb::head);
    return keep_alive;
}

// A parser for the next request, over `request` emptied: a connection that waits for its next
// request holds no request memory; one with pipelined requests in its buffer reuses it.
void prepare_parser(std::optional<request_parser>& parser, parsed_request& request, const server_settings& settings,
                    bool pipelined)
{
    parser.reset();
    if (pipelined)
        request.clear();
    else
        request.release();
    parser.emplace(request);
    parser->header_limit(static_cast<std::uint32_t>(settings.max_header_size));
    parser->body_limit(settings.max_body_size);
    parser->eager(true);
}

void register_connection(connection& c)
{
    boost::system::error_code ignored;
    c.socket.set_option(tcp::no_delay(true), ignored);
    if (const auto peer = c.socket.remote_endpoint(ignored); !ignored)
        c.peer_address = peer.address().to_string();
    c.w.connections.push_front(&c);
    c.registered = c.w.connections.begin();
}

void close_connection(connection& c)
{
    boost::system::error_code ignored;
    c.w.connections.erase(c.registered);
    if (c.write_error)  // a client that stopped reading: reset, so the kernel drops what it still holds
        c.socket.set_option(asio::socket_base::linger(true, 0), ignored);
    else
        c.socket.shutdown(tcp::socket::shutdown_send, ignored);
    c.socket.close(ignored);
}

}  // namespace

// GCC 12 at -O2 reports asio's coroutine frame new/delete pair as mismatched once this frame is
// large enough to bypass asio's frame cache: a false positive (GCC PR 109224).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
task<void> serve(std::shared_ptr<connection> c, dispatcher& handler)
{
    auto& w = c->w;
    register_connection(*c);
    beast::flat_buffer buffer;
    parsed_request request;
    std::optional<request_parser> parser;
    try {
        while (!w.stopping && !c->write_error) {
            if (c->queued.size() + c->sending.size() > queued_limit) {
                co_await drain(c, queued_limit);  // the client reads slower than it sends: stop reading
                continue;
            }
            prepare_parser(parser, request, c->settings, buffer.size() > 0);
            read_result got;
            c->in_request = buffer.size() > 0;
            // A pipelined request already in the buffer needs no read.
            for (bool done = parse_buffered(buffer, *parser, got, c->settings.max_header_size); !done;) {
                auto [read_ec, n] = co_await read_more(c, buffer, *parser, got);
                done = take_read(*c, buffer, *parser, got, read_ec, n);
            }
            // The handler is awaited from here: no coroutine frame between the loop and the dispatcher.
            std::optional<response> res;
            if (!got.readable()) {
                res = answer_to_read_failure(got);
            } else {
                flush_soon(c);
                if (take_free_request_slot(w) || co_await wait_for_request_slot(c)) {
                    res = co_await handler.handle(*c, parser->get());
                    give_back_request_slot(w);
                } else {
                    res = server_busy();
                }
            }
            if (!queue_answer(*c, *parser, got, res))
                break;
        }
        co_await drain(c, 0);
    } catch (const std::exception& e) {
        log::error("connection error: {}", e.what());
    }
    close_connection(*c);
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

void expire(connection& c, clock::time_point now, clock::duration slack)
{
    boost::system::error_code ignored;
    if (c.write_deadline != clock::time_point::max() && c.write_deadline + slack <= now) {
        c.write_deadline = clock::time_point::max();
        c.socket.cancel(ignored);  // the client stopped reading: the write and the read end
        return;
    }
    if (c.awaiting_slot && c.deadline + slack <= now) {
        c.deadline = clock::time_point::max();
        c.wake.cancel();  // no request slot in time: the request is answered 503
        return;
    }
    // While a write is in flight the client is busy reading: only a running handler's deadline counts.
    if (c.deadline == clock::time_point::max() || c.deadline + slack > now || (c.writing && !c.in_handler))
        return;
    c.deadline = clock::time_point::max();
    if (c.in_handler) {
        c.timed_out = true;
        c.interrupt.emit(asio::cancellation_type::terminal);
    } else {
        c.socket.cancel(ignored);  // the pending read ends with operation_aborted
    }
}

}  // namespace keel::http::detail
