#include "security/hiredis_asio.hpp"

namespace keel::security::detail {

namespace asio = boost::asio;

hiredis_asio::hiredis_asio(redisAsyncContext* context, const asio::any_io_executor& executor)
    : context_(context), socket_(executor, context->c.fd)
{
}

std::shared_ptr<hiredis_asio> hiredis_asio::attach(redisAsyncContext* context, const asio::any_io_executor& executor)
{
    auto adapter = std::make_shared<hiredis_asio>(context, executor);
    adapter->self_ = adapter;
    context->ev.data = adapter.get();
    context->ev.addRead = [](void* p) { static_cast<hiredis_asio*>(p)->want(read, true); };
    context->ev.delRead = [](void* p) { static_cast<hiredis_asio*>(p)->want(read, false); };
    context->ev.addWrite = [](void* p) { static_cast<hiredis_asio*>(p)->want(write, true); };
    context->ev.delWrite = [](void* p) { static_cast<hiredis_asio*>(p)->want(write, false); };
    context->ev.cleanup = [](void* p) { static_cast<hiredis_asio*>(p)->detach(); };
    return adapter;
}

void hiredis_asio::want(direction d, bool wanted)
{
    wanted_[d] = wanted;
    if (!handling_ && should_wait(d))
        arm(d);
}

// hiredis wants to read all the time, to notice a closed connection. A wait on an idle connection
// would keep its io_context's run() from returning at shutdown, so reads are awaited only while
// replies are due; a connection closed meanwhile is noticed at its next command (and the store
// retries that command once on a new connection). What hiredis asks for while it handles
// readiness is decided after it returns: redisAsyncHandleRead asks to read again before it hands
// out the replies it read.
bool hiredis_asio::should_wait(direction d) const
{
    return context_ && wanted_[d] && !armed_[d] && (d == write || context_->replies.head);
}

// hiredis expects level-triggered, persistent interest (as libuv's uv_poll gives): after each
// readiness the wait is armed again for as long as hiredis still wants that direction.
void hiredis_asio::arm(direction d)
{
    armed_[d] = true;
    const auto type = d == read ? asio::posix::stream_descriptor::wait_read : asio::posix::stream_descriptor::wait_write;
    socket_.async_wait(type, [self = shared_from_this(), d](const boost::system::error_code& ec) {
        self->armed_[d] = false;
        if (ec || !self->context_ || !self->wanted_[d])
            return;
        // Either call may free the context (a connection error): detach() then clears context_.
        self->handling_ = true;
        if (d == read)
            redisAsyncHandleRead(self->context_);
        else
            redisAsyncHandleWrite(self->context_);
        self->handling_ = false;
        for (direction next : {read, write})
            if (self->should_wait(next))
                self->arm(next);
    });
}

void hiredis_asio::detach()
{
    auto keep = std::move(self_);  // this object may go away when the function returns
    context_ = nullptr;
    wanted_[read] = wanted_[write] = false;
    socket_.release();  // cancels the pending waits; hiredis closes the socket itself
}

}  // namespace keel::security::detail
