#include "core/async_semaphore.hpp"

#include <algorithm>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/foreign_posts.hpp"

namespace keel::detail {

namespace asio = boost::asio;

struct async_semaphore::waiter {
    explicit waiter(const asio::any_io_executor& ex) : timer(ex), home(foreign_posts::of(ex)) {}
    asio::steady_timer timer;
    foreign_posts& home;   // wake-ups from other threads go through it
    bool granted = false;  // guarded by the state's mutex
};

// Shared with every waiting coroutine, so that a semaphore destroyed before its waiters wake
// leaves them something to wake into.
struct async_semaphore::state {
    explicit state(std::size_t count) : available(count) {}

    // The unit goes to the oldest waiter whose io_context is not being destroyed, if there is
    // one; its timer is cancelled on its own thread, since a timer is not thread-safe. Called
    // with `mutex` held.
    void hand_on()
    {
        while (!waiters.empty()) {
            auto next = std::move(waiters.front());
            waiters.pop_front();
            if (wake(next)) {
                next->granted = true;
                return;
            }
        }
        ++available;
    }
    static bool wake(const std::shared_ptr<waiter>& w)
    {
        auto cancel = [w] { w->timer.cancel(); };
        return w->home.post_if_open(w->timer.get_executor(), cancel);
    }
    // A waiter that will not take its unit: out of the queue, or its unit on to the next one.
    void leave(const std::shared_ptr<waiter>& w)
    {
        if (w->granted)
            hand_on();  // nobody will use it or give it back
        else
            waiters.erase(std::remove(waiters.begin(), waiters.end(), w), waiters.end());
    }

    std::mutex mutex;
    std::size_t available;
    bool closed = false;
    std::deque<std::shared_ptr<waiter>> waiters;
};

async_semaphore::async_semaphore(std::size_t count) : state_(std::make_shared<state>(count)) {}

async_semaphore::~async_semaphore()
{
    close();
}

task<bool> async_semaphore::acquire(std::chrono::steady_clock::duration timeout)
{
    const auto st = state_;
    // Already cancelled: a unit taken now would be dropped with the result, and the wait below
    // would throw before it began (asio checks cancellation before each operation).
    if ((co_await asio::this_coro::cancellation_state).cancelled() != asio::cancellation_type::none)
        co_return false;
    std::shared_ptr<waiter> self;
    {
        std::lock_guard lock(st->mutex);
        if (st->closed)
            co_return false;
        if (st->available > 0 && st->waiters.empty()) {
            --st->available;
            co_return true;
        }
        self = std::make_shared<waiter>(co_await asio::this_coro::executor);  // does not suspend
        self->timer.expires_after(timeout);
        st->waiters.push_back(self);
    }
    // A coroutine destroyed while it waits (its io_context destroyed mid-wait: a forced stop)
    // leaves the queue, so that no release() wakes it in freed memory.
    struct place {
        std::shared_ptr<state> st;
        std::shared_ptr<waiter> self;
        bool settled = false;
        ~place()
        {
            if (settled)
                return;
            std::lock_guard lock(st->mutex);
            st->leave(self);
        }
    } in_queue{st, self};
    // Woken by the deadline, by hand_on()/close() cancelling the timer, or by the caller's cancellation.
    co_await self->timer.async_wait(asio::as_tuple(asio::use_awaitable));
    const bool cancelled = (co_await asio::this_coro::cancellation_state).cancelled() != asio::cancellation_type::none;
    std::lock_guard lock(st->mutex);
    in_queue.settled = true;
    if (self->granted && !cancelled)
        co_return true;
    st->leave(self);
    co_return false;
}

void async_semaphore::release()
{
    std::lock_guard lock(state_->mutex);
    state_->hand_on();
}

void async_semaphore::close()
{
    std::lock_guard lock(state_->mutex);
    state_->closed = true;
    for (auto& w : state_->waiters)
        state::wake(w);  // a waiter whose io_context is going away is destroyed instead
    state_->waiters.clear();
}

std::size_t async_semaphore::waiting() const
{
    std::lock_guard lock(state_->mutex);
    return state_->waiters.size();
}

}  // namespace keel::detail
