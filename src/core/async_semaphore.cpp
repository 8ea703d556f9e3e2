#include "core/async_semaphore.hpp"

#include <algorithm>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace keel::detail {

namespace asio = boost::asio;

struct async_semaphore::waiter {
    explicit waiter(const asio::any_io_executor& ex) : timer(ex) {}
    asio::steady_timer timer;
    bool granted = false;  // guarded by the semaphore's mutex
};

task<bool> async_semaphore::acquire(std::chrono::steady_clock::duration timeout)
{
    std::shared_ptr<waiter> self;
    {
        std::lock_guard lock(mutex_);
        if (closed_)
            co_return false;
        if (available_ > 0 && waiters_.empty()) {
            --available_;
            co_return true;
        }
        self = std::make_shared<waiter>(co_await asio::this_coro::executor);
        self->timer.expires_after(timeout);
        waiters_.push_back(self);
    }
    // Woken either by the deadline or by release()/close() cancelling the timer.
    co_await self->timer.async_wait(asio::as_tuple(asio::use_awaitable));
    std::lock_guard lock(mutex_);
    if (self->granted)
        co_return true;
    waiters_.erase(std::remove(waiters_.begin(), waiters_.end(), self), waiters_.end());
    co_return false;
}

void async_semaphore::release()
{
    std::lock_guard lock(mutex_);
    if (waiters_.empty()) {
        ++available_;
        return;
    }
    auto next = std::move(waiters_.front());
    waiters_.pop_front();
    next->granted = true;
    // The timer belongs to the waiter's thread: cancel it there.
    asio::post(next->timer.get_executor(), [next] { next->timer.cancel(); });
}

void async_semaphore::close()
{
    std::lock_guard lock(mutex_);
    closed_ = true;
    for (auto& w : waiters_)
        asio::post(w->timer.get_executor(), [w] { w->timer.cancel(); });
    waiters_.clear();
}

}  // namespace keel::detail
