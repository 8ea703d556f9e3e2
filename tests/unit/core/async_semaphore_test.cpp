// The semaphore behind the connection pools and the SQLite write queue, driven step by step on an
// io_context the test runs by hand: no server, no sleeps.
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include "core/async_semaphore.hpp"

namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using keel::detail::async_semaphore;

constexpr auto forever = std::chrono::hours(1);  // a deadline no test reaches

class async_semaphore_test : public ::testing::Test {
protected:
    // Starts acquire(timeout) as its own coroutine; the outcome lands in the returned slot.
    std::shared_ptr<std::optional<bool>> start(async_semaphore& sem, std::chrono::steady_clock::duration timeout,
                                               asio::cancellation_signal* cancel = nullptr)
    {
        auto outcome = std::make_shared<std::optional<bool>>();
        auto done = [outcome](std::exception_ptr e, bool got) {
            if (e)
                std::rethrow_exception(e);
            *outcome = got;
        };
        if (cancel)
            asio::co_spawn(io_, sem.acquire(timeout), asio::bind_cancellation_slot(cancel->slot(), done));
        else
            asio::co_spawn(io_, sem.acquire(timeout), done);
        return outcome;
    }

    // Steps the io_context until `sem` has `n` waiters: each step runs one ready handler.
    void until_waiting(const async_semaphore& sem, std::size_t n)
    {
        io_.restart();
        while (sem.waiting() < n)
            ASSERT_EQ(io_.poll_one(), 1u) << "nothing left to run, yet only " << sem.waiting() << " waiting";
    }

    // Whether a unit is free right now, without waiting (taken if so).
    bool take_now(async_semaphore& sem)
    {
        auto got = start(sem, 0ms);
        io_.restart();
        while (!got->has_value())
            io_.run_one();
        return got->value();
    }

    // Runs every handler that is ready (those it makes ready too) and returns without blocking, so
    // that a waiter a bug left queued fails the test instead of hanging it.
    void settle()
    {
        io_.restart();
        io_.poll();
    }

    asio::io_context io_;
};

TEST_F(async_semaphore_test, units_are_taken_at_once_while_available_and_come_back_on_release)
{
    async_semaphore sem(2);
    EXPECT_TRUE(take_now(sem));
    EXPECT_TRUE(take_now(sem));
    EXPECT_FALSE(take_now(sem));  // 0 ms: timed out, no unit
    sem.release();
    EXPECT_TRUE(take_now(sem));
}

TEST_F(async_semaphore_test, waiters_are_served_in_arrival_order)
{
    async_semaphore sem(0);
    std::vector<std::shared_ptr<std::optional<bool>>> waiters;
    for (std::size_t i = 0; i < 3; ++i) {
        waiters.push_back(start(sem, forever));
        until_waiting(sem, i + 1);
    }
    for (std::size_t served = 0; served < 3; ++served) {
        sem.release();
        settle();
        for (std::size_t i = 0; i < 3; ++i)
            EXPECT_EQ(waiters[i]->has_value(), i <= served) << "after release " << served << ", waiter " << i;
    }
    EXPECT_EQ(sem.waiting(), 0u);
    EXPECT_FALSE(take_now(sem));  // every unit went to a waiter, none was counted twice
}

TEST_F(async_semaphore_test, a_newcomer_does_not_overtake_a_woken_waiter)
{
    async_semaphore sem(0);
    auto first = start(sem, forever);
    until_waiting(sem, 1);
    sem.release();  // granted to `first`, which has not run yet
    auto newcomer = start(sem, 0ms);
    settle();
    EXPECT_EQ(*first, true);
    EXPECT_EQ(*newcomer, false);
}

TEST_F(async_semaphore_test, a_timed_out_waiter_leaves_the_queue_and_takes_nothing)
{
    async_semaphore sem(0);
    auto impatient = start(sem, 0ms);
    auto patient = start(sem, forever);
    until_waiting(sem, 2);
    while (!impatient->has_value())
        ASSERT_EQ(io_.run_one(), 1u);  // the 0 ms deadline passes
    EXPECT_EQ(*impatient, false);
    EXPECT_EQ(sem.waiting(), 1u);
    sem.release();
    settle();
    EXPECT_EQ(*patient, true);
    sem.release();
    EXPECT_TRUE(take_now(sem));  // the timed-out waiter did not swallow a unit
}

TEST_F(async_semaphore_test, a_release_racing_the_deadline_grants_the_unit)
{
    async_semaphore sem(0);
    auto racer = start(sem, 0ms);
    until_waiting(sem, 1);  // queued; its expired deadline has not been handled yet
    sem.release();
    settle();
    EXPECT_EQ(*racer, true);
    EXPECT_FALSE(take_now(sem));  // the racer holds the only unit
}

TEST_F(async_semaphore_test, a_cancelled_waiter_leaves_the_queue)
{
    async_semaphore sem(0);
    asio::cancellation_signal cancel;
    auto cancelled = start(sem, forever, &cancel);
    until_waiting(sem, 1);
    cancel.emit(asio::cancellation_type::terminal);
    settle();
    EXPECT_EQ(*cancelled, false);
    EXPECT_EQ(sem.waiting(), 0u);
    sem.release();
    EXPECT_TRUE(take_now(sem));
}

// The unit was granted, then the caller was cancelled before it resumed (a request deadline won
// the race): nobody would give the unit back, so it goes to the next waiter.
TEST_F(async_semaphore_test, a_unit_granted_to_a_cancelled_waiter_goes_to_the_next)
{
    async_semaphore sem(0);
    asio::cancellation_signal cancel;
    auto cancelled = start(sem, forever, &cancel);
    auto next = start(sem, forever);
    until_waiting(sem, 2);
    sem.release();
    cancel.emit(asio::cancellation_type::terminal);
    settle();
    EXPECT_EQ(*cancelled, false);
    EXPECT_EQ(*next, true);
    EXPECT_FALSE(take_now(sem));
}

TEST_F(async_semaphore_test, close_wakes_every_waiter_with_false_and_refuses_later_calls)
{
    async_semaphore sem(0);
    auto a = start(sem, forever);
    auto b = start(sem, forever);
    until_waiting(sem, 2);
    sem.close();
    settle();
    EXPECT_EQ(*a, false);
    EXPECT_EQ(*b, false);
    sem.release();
    EXPECT_FALSE(take_now(sem));
}

TEST_F(async_semaphore_test, destroying_the_semaphore_wakes_its_waiters)
{
    auto sem = std::make_unique<async_semaphore>(0);
    auto orphan = start(*sem, forever);
    until_waiting(*sem, 1);
    sem.reset();
    settle();  // the waiter resumes into the shared state, not into freed memory
    EXPECT_EQ(*orphan, false);
}

// A forced server stop destroys an io_context with coroutines waiting in it: each leaves the
// queue as its frame goes, and a release from another thread afterwards finds nobody to wake
// (it would post into freed memory) and keeps the unit.
TEST_F(async_semaphore_test, a_waiter_destroyed_with_its_io_context_leaves_the_queue)
{
    async_semaphore sem(0);
    auto doomed = std::make_unique<asio::io_context>(1);
    bool resumed = false;
    asio::co_spawn(
        *doomed,
        [&]() -> keel::task<void> {
            co_await sem.acquire(forever);
            resumed = true;
        },
        asio::detached);
    while (sem.waiting() < 1)
        ASSERT_EQ(doomed->poll_one(), 1u);
    doomed.reset();
    ASSERT_EQ(sem.waiting(), 0u);  // else the release below would post into the freed io_context
    std::jthread([&] { sem.release(); }).join();
    EXPECT_FALSE(resumed);
    EXPECT_TRUE(take_now(sem));  // the unit stayed in the semaphore
}

// A unit granted to a waiter whose io_context is destroyed before the waiter ran is not lost: its
// frame, destroyed, hands it on.
TEST_F(async_semaphore_test, a_unit_granted_to_a_waiter_destroyed_before_it_ran_goes_back)
{
    async_semaphore sem(0);
    auto doomed = std::make_unique<asio::io_context>(1);
    asio::co_spawn(doomed->get_executor(), sem.acquire(forever), asio::detached);
    while (sem.waiting() < 1)
        ASSERT_EQ(doomed->poll_one(), 1u);
    sem.release();  // granted; its wake-up waits in the doomed io_context's queue
    ASSERT_EQ(sem.waiting(), 0u);
    doomed.reset();
    EXPECT_TRUE(take_now(sem));
}

// Releases come from another thread while the waiters' io_context runs: every one is delivered.
TEST_F(async_semaphore_test, releases_from_another_thread_lose_no_wake_up)
{
    constexpr int rounds = 2000;
    async_semaphore sem(0);
    int acquired = 0;
    asio::co_spawn(io_, [&]() -> keel::task<void> {
        for (int i = 0; i < rounds; ++i)
            acquired += co_await sem.acquire(forever);
    }, [](std::exception_ptr e) { if (e) std::rethrow_exception(e); });
    std::jthread releaser([&] {
        for (int i = 0; i < rounds; ++i)
            sem.release();
    });
    io_.run();  // returns once the last acquire() got its unit
    EXPECT_EQ(acquired, rounds);
}

}  // namespace
