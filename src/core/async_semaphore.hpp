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
    explicit async_semaphore(std::size_t count) : available_(count) {}

    /// True once a unit is taken; false when `timeout` passed first or the semaphore is closed.
    task<bool> acquire(std::chrono::steady_clock::duration timeout);
    /// Gives one unit back, to the oldest waiter if there is one. Callable from any thread.
    void release();
    /// Wakes every waiter with false; later acquire() calls return false at once.
    void close();

private:
    struct waiter;
    std::mutex mutex_;
    std::size_t available_;
    bool closed_ = false;
    std::deque<std::shared_ptr<waiter>> waiters_;
};

}  // namespace keel::detail
