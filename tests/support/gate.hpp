#pragma once
// An event a test opens by hand, instead of sleeping and hoping: handlers `co_await g.wait()` and
// stay suspended until the test calls `g.open()`; `g.wait_for_waiters(n)` blocks the test until n
// coroutines are waiting. Thread-safe.
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <utility>
#include <vector>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <keel/core/task.hpp>

namespace keel::testing {

class gate {
public:
    task<void> wait()
    {
        return boost::asio::async_initiate<decltype(boost::asio::use_awaitable), void()>(
            [this](auto handler) {
                auto executor = boost::asio::get_associated_executor(handler);
                std::lock_guard lock(mutex_);
                if (open_) {
                    boost::asio::post(executor, std::move(handler));
                    return;
                }
                waiting_.emplace_back(executor, std::move(handler));
                ++arrived_;
                changed_.notify_all();
            },
            boost::asio::use_awaitable);
    }

    void open()
    {
        std::vector<std::pair<boost::asio::any_io_executor, boost::asio::any_completion_handler<void()>>> resumed;
        {
            std::lock_guard lock(mutex_);
            open_ = true;
            resumed.swap(waiting_);
        }
        for (auto& [executor, handler] : resumed)
            boost::asio::post(executor, std::move(handler));
    }

    void wait_for_waiters(std::size_t count)
    {
        std::unique_lock lock(mutex_);
        changed_.wait(lock, [&] { return arrived_ >= count; });
    }

private:
    std::mutex mutex_;
    std::condition_variable changed_;
    bool open_ = false;
    std::size_t arrived_ = 0;
    std::vector<std::pair<boost::asio::any_io_executor, boost::asio::any_completion_handler<void()>>> waiting_;
};

}  // namespace keel::testing
