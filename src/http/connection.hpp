#pragma once
// What the server and a connection's coroutine share: the I/O thread (worker) a connection lives
// on, and the connection as the worker's deadline sweep and shutdown see it.
#include <chrono>
#include <cstdint>
#include <deque>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <keel/core/task.hpp>

namespace keel::http {
struct server_settings;
}

namespace keel::http::detail {

using clock = std::chrono::steady_clock;
// The socket type accept gives for an io_context: its operations need no polymorphic executor.
using socket_type = boost::asio::basic_stream_socket<boost::asio::ip::tcp, boost::asio::io_context::executor_type>;
using acceptor_type = boost::asio::basic_socket_acceptor<boost::asio::ip::tcp, boost::asio::io_context::executor_type>;

struct connection;
class dispatcher;

/// An I/O thread: its io_context, its share of the listening socket, and its connections.
struct worker {
    boost::asio::io_context ioc{1};
    // Keeps run() going while the thread has no connection yet; released at shutdown.
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> busy{ioc.get_executor()};
    std::optional<acceptor_type> acceptor;  // this thread's descriptor of the one listening socket
    std::list<connection*> connections;     // touched only on this worker's thread
    // Requests in handlers on this thread, at most `request_slots` (max_concurrent_requests
    // shared out); connections past it wait here in arrival order, with their requests read.
    std::size_t requests_in_handlers = 0;
    std::size_t request_slots = 1;
    std::deque<connection*> awaiting_slot;
    boost::asio::steady_timer sweeper{ioc};
    clock::time_point now = clock::now();  // refreshed by each sweep: deadlines need no clock read
    bool stopping = false;
    std::uint64_t requests = 0;
    std::size_t index = 0;
    std::thread thread;
};

/// A connection as its worker sees it. Shared by the connection's coroutine and the completion
/// handlers of its writes, so whichever finishes last frees it.
struct connection {
    connection(worker& owner, socket_type s, const server_settings& limits)
        : w(owner), settings(limits), socket(std::move(s)), wake(owner.ioc)
    {
    }

    worker& w;
    const server_settings& settings;
    socket_type socket;
    std::list<connection*>::iterator registered;
    // When the pending read or the handler's time runs out (clock::time_point::max(): no limit).
    clock::time_point deadline = clock::time_point::max();
    // When the write in flight is cut off: a client that does not read its responses.
    clock::time_point write_deadline = clock::time_point::max();
    bool in_request = false;  // part of a request received, or its handler running
    bool in_handler = false;
    bool timed_out = false;  // the request outlived request_timeout: its answer is 504
    bool awaiting_slot = false;  // in the worker's queue for a request slot
    bool has_slot = false;
    boost::asio::cancellation_signal interrupt;  // ends the handler's pending operation
    std::string peer_address;                    // formatted once, for request::peer_address
    // The space offered to the next read: it doubles each time a read fills it (up to 8 KiB), so
    // a batch of pipelined requests is read in one go instead of split between reads; a client
    // whose requests each fit in 512 bytes never grows it.
    std::size_t read_size = 512;

    // Responses go out in order, several per write when requests were pipelined: `queued` fills
    // while `sending` is on the wire, then they swap.
    std::string queued;
    std::string sending;
    bool writing = false;
    bool flush_posted = false;
    boost::system::error_code write_error;
    // An event: cancelled when a write completes while the coroutine waits for the output to
    // drain (`waiting`), or when a request slot is handed to it (`awaiting_slot`).
    boost::asio::steady_timer wake;
    bool waiting = false;

    bool idle() const { return !in_request && !writing; }
};

/// Serves `c` until the peer closes, an error, a deadline or shutdown; `c` is registered with its
/// worker meanwhile.
task<void> serve(std::shared_ptr<connection> c, dispatcher& handler);

/// Ends what `c` is waiting for once its deadline passed (the sweep's action for one connection).
void expire(connection& c, clock::time_point now, clock::duration slack);

}  // namespace keel::http::detail
