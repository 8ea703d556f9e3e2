#pragma once
#include <chrono>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>

#include <keel/core/task.hpp>

namespace keel::detail {

/// A counting semaphore for coroutines on different threads: FIFO, and every wait has a
/// deadline. A waiter's executor must be single-threaded (keel runs one io_context per thread).
class async_semaphore {
public:
    explicit async_semaphore(std::size_t count);
    /// Closes: waiters still queued wake with false (they keep the shared state alive); one
    /// whose io_context is being destroyed is destroyed with it instead.
    ~async_semaphore();
    async_semaphore(const async_semaphore&) = delete;
    async_semaphore& operator=(const async_semaphore&) = delete;

    /// True once a unit is taken; false when `timeout` passed first, the semaphore is closed, or
    /// the awaiting coroutine was cancelled (per-operation cancellation, e.g. the losing side of
    /// awaitable_operators' ||): a unit granted to a cancelled waiter goes on to the next one.
    task<bool> acquire(std::chrono::steady_clock::duration timeout);
    /// Gives one unit back, to the oldest waiter if there is one. Callable from any thread.
    void release();
    /// Wakes every waiter with false (but one whose io_context is being destroyed); later
    /// acquire() calls return false at once.
    void close();
    /// How many coroutines wait now (for metrics and tests).
    std::size_t waiting() const;

private:
    struct waiter;
    struct state;
    std::shared_ptr<state> state_;
};

}  // namespace keel::detail
