#pragma once
// Posts into an io_context from other threads (a worker's result, a semaphore's wake-up), kept
// from outliving it.
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <utility>

#include <boost/asio/execution.hpp>
#include <boost/asio/execution_context.hpp>
#include <boost/asio/post.hpp>

namespace keel::detail {

/// An io_context's record of the posts other threads will still make to it. Its owner may let
/// go of it at any time: run() returns once a worker's completion has run, while the worker is
/// still inside post() (Asio signals after unlocking); a forced server stop or an outer
/// transaction stops it without waiting for what is in flight. This service shuts down before the
/// scheduler (the io_context's first service; shutdown goes newest first) and, while it does:
/// - refuses post_if_open() from then on: the caller keeps its handler (a waiter whose io_context
///   is going away is passed over);
/// - waits for every `pending` post to be made: a worker's result goes into the queue, and the
///   scheduler destroys it uninvoked. A hash is bounded and a SQLite call waits at most
///   busy_timeout for a lock, but a long query runs to its end: the wait is logged every 5 s
///   while it lasts. So a job must never need the io_context it reports to, nor be left in a
///   pool that is stopped but not destroyed.
class foreign_posts : public boost::asio::execution_context::service {
public:
    static inline boost::asio::execution_context::id id;

    template <class Executor>
    static foreign_posts& of(const Executor& home)
    {
        return boost::asio::use_service<foreign_posts>(boost::asio::query(home, boost::asio::execution::context));
    }

    /// One post still to come, counted from now until it is made (release()) or until the job
    /// that would make it is destroyed without having run.
    class pending {
    public:
        explicit pending(foreign_posts& posts) : posts_(&posts) { posts.started(); }
        pending(pending&& other) noexcept : posts_(std::exchange(other.posts_, nullptr)) {}
        pending& operator=(pending&&) = delete;
        ~pending() { release(); }
        void release()
        {
            if (auto* posts = std::exchange(posts_, nullptr))
                posts->finished();
        }

    private:
        foreign_posts* posts_;
    };

    explicit foreign_posts(boost::asio::execution_context& owner) : service(owner) {}

    /// Posts `handler` to `home` (an executor of this io_context) unless the io_context is being
    /// destroyed; false then, and `handler` is left untouched.
    template <class Executor, class Handler>
    bool post_if_open(const Executor& home, Handler& handler)
    {
        std::lock_guard lock(mutex_);
        if (closing_)
            return false;
        boost::asio::post(home, std::move(handler));
        return true;
    }

private:
    void started();
    void finished();
    void shutdown() override;

    std::mutex mutex_;
    std::condition_variable none_left_;
    std::size_t pending_ = 0;
    bool closing_ = false;
};

}  // namespace keel::detail
