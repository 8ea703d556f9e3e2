#pragma once
// The Asio adapter for hiredis's async API (the role of hiredis/adapters/libuv.h): hiredis says
// through its ev hooks when it wants to read or write, and a posix::stream_descriptor on the
// connection's socket waits for that readiness on the io_context, which then calls
// redisAsyncHandleRead/Write. Everything runs on that io_context's thread.
#include <memory>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <hiredis/async.h>

namespace keel::security::detail {

class hiredis_asio : public std::enable_shared_from_this<hiredis_asio> {
public:
    /// Hooks `context` (just made by redisAsyncConnect) to `executor`. The adapter lives until
    /// hiredis frees the context (its cleanup hook), and as long as a wait of its own is pending.
    static std::shared_ptr<hiredis_asio> attach(redisAsyncContext* context, const boost::asio::any_io_executor& executor);

    /// The context, or null once hiredis freed it (after an error, or redisAsyncFree).
    redisAsyncContext* context() const noexcept { return context_; }

    hiredis_asio(redisAsyncContext* context, const boost::asio::any_io_executor& executor);

private:
    enum direction { read, write };
    void want(direction d, bool wanted);
    bool should_wait(direction d) const;
    void arm(direction d);
    void detach();

    redisAsyncContext* context_;
    boost::asio::posix::stream_descriptor socket_;  // never closes the socket: hiredis owns it
    bool wanted_[2] = {false, false};
    bool armed_[2] = {false, false};
    bool handling_ = false;  // inside redisAsyncHandleRead/Write
    std::shared_ptr<hiredis_asio> self_;  // held while hiredis may call the hooks
};

}  // namespace keel::security::detail
