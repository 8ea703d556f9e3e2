#include "core/foreign_posts.hpp"

#include <chrono>

#include <keel/core/log.hpp>

namespace keel::detail {

void foreign_posts::started()
{
    std::lock_guard lock(mutex_);
    ++pending_;
}

void foreign_posts::finished()
{
    // Notified under the lock: once shutdown() sees none left, the service may be destroyed.
    std::lock_guard lock(mutex_);
    if (--pending_ == 0)
        none_left_.notify_all();
}

void foreign_posts::shutdown()
{
    std::unique_lock lock(mutex_);
    closing_ = true;
    while (!none_left_.wait_for(lock, std::chrono::seconds(5), [&] { return pending_ == 0; }))
        log::warn("an I/O context waits for {} blocking job(s) (database, password hashing) to finish", pending_);
}

}  // namespace keel::detail
