#pragma once
// Waiting for a condition that only another process reaches (a PostgreSQL backend becoming active
// or noticing that its client left), where there is no event to wait on: the condition is checked
// again and again, and a bound turns a promise that is never kept into a failure, not a hang.
#include <chrono>
#include <thread>

namespace keel::testing {

/// True once `done()` holds; false if it still does not after `attempts` checks, 20 ms apart.
template <class Predicate>
bool eventually(Predicate done, int attempts = 500)
{
    for (int i = 0; i < attempts; ++i) {
        if (done())
            return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return done();
}

}  // namespace keel::testing
