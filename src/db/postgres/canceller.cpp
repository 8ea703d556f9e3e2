#include "db/postgres/canceller.hpp"

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include <libpq-fe.h>

#include <keel/core/log.hpp>

namespace keel::db::postgres {

namespace {

constexpr std::size_t queue_limit = 64;

// One thread for the process, started at the first cancellation and never joined: it may be
// blocked on a server that stopped answering, which must not hold up the process's exit.
// Its state is never destroyed for the same reason.
class canceller {
public:
    static canceller& instance()
    {
        static canceller* const one = new canceller;
        return *one;
    }

    void submit(PGcancel* cancel)
    {
        std::unique_lock lock(mutex_);
        if (queue_.size() >= queue_limit) {
            lock.unlock();
            PQfreeCancel(cancel);
            log::warn("PostgreSQL cancel requests are backing up (the server is not answering); one was dropped");
            return;
        }
        queue_.push_back(cancel);
        if (!started_) {
            started_ = true;
            std::thread([this] { run(); }).detach();
        }
        ready_.notify_one();
    }

private:
    void run()
    {
        for (;;) {
            PGcancel* cancel = nullptr;
            {
                std::unique_lock lock(mutex_);
                ready_.wait(lock, [&] { return !queue_.empty(); });
                cancel = queue_.front();
                queue_.pop_front();
            }
            char reason[256] = {};
            if (!PQcancel(cancel, reason, sizeof reason))
                log::info("PostgreSQL cancel request failed: {}", reason);
            PQfreeCancel(cancel);
        }
    }

    std::mutex mutex_;
    std::condition_variable ready_;
    std::deque<PGcancel*> queue_;
    bool started_ = false;
};

}  // namespace

void cancel_in_background(pg_cancel* cancel)
{
    if (cancel)
        canceller::instance().submit(cancel);
}

}  // namespace keel::db::postgres
