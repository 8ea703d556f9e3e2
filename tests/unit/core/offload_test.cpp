// offload: blocking work on a worker pool, its result back on the awaiting coroutine's io_context.
#include <atomic>
#include <latch>
#include <memory>
#include <stdexcept>
#include <thread>

#include <gtest/gtest.h>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_future.hpp>

#include "core/offload.hpp"

namespace {

namespace asio = boost::asio;
using keel::task;
using keel::detail::offload;

TEST(offload, runs_on_a_worker_and_resumes_on_the_awaiting_thread)
{
    asio::thread_pool workers(1);
    asio::io_context io(1);
    const auto caller = std::this_thread::get_id();
    auto result = asio::co_spawn(
        io,
        [&]() -> task<std::pair<std::thread::id, std::thread::id>> {
            const auto worker = co_await offload(workers.get_executor(), [] { return std::this_thread::get_id(); });
            co_return std::pair{worker, std::this_thread::get_id()};
        },
        asio::use_future);
    io.run();
    const auto [worker, resumed_on] = result.get();
    EXPECT_NE(worker, caller);
    EXPECT_EQ(resumed_on, caller);
}

TEST(offload, rethrows_the_workers_exception_to_the_awaiting_coroutine)
{
    asio::thread_pool workers(1);
    asio::io_context io(1);
    auto result = asio::co_spawn(
        io, [&]() -> task<void> { co_await offload(workers.get_executor(), [] { throw std::runtime_error("disk full"); }); },
        asio::use_future);
    io.run();
    EXPECT_THROW(
        try { result.get(); } catch (const std::runtime_error& e) {
            EXPECT_STREQ(e.what(), "disk full");
            throw;
        },
        std::runtime_error);
}

// A forced server stop, an outer transaction, block_on at exit: an io_context may be destroyed
// while a job is still on a worker. Its destruction waits until the job's completion is posted,
// and destroys that completion uninvoked.
TEST(offload, destroying_the_io_context_waits_for_a_job_still_running)
{
    asio::thread_pool workers(1);
    auto io = std::make_unique<asio::io_context>(1);
    std::latch running(1), release(1);
    std::atomic<bool> job_finished{false};
    bool resumed = false;
    asio::co_spawn(
        *io,
        [&]() -> task<void> {
            co_await offload(workers.get_executor(), [&] {
                running.count_down();
                release.wait();
                job_finished = true;
            });
            resumed = true;
        },
        asio::detached);
    io->poll();  // the coroutine starts and awaits the job
    running.wait();
    bool finished_before_destroyed = false;
    std::latch destroying(1);
    std::thread owner([&] {
        destroying.count_down();
        io.reset();
        finished_before_destroyed = job_finished;
    });
    destroying.wait();
    release.count_down();
    owner.join();
    EXPECT_TRUE(finished_before_destroyed);
    EXPECT_FALSE(resumed);
}

// A job its pool destroys without running it gives its place back: the io_context's destruction
// does not wait for it.
TEST(offload, a_job_dropped_by_its_pool_does_not_hold_up_the_io_contexts_destruction)
{
    auto workers = std::make_unique<asio::thread_pool>(1);
    std::latch running(1), release(1);
    asio::post(*workers, [&] {
        running.count_down();
        release.wait();
    });
    running.wait();
    auto io = std::make_unique<asio::io_context>(1);
    bool resumed = false;
    asio::co_spawn(
        *io,
        [&]() -> task<void> {
            co_await offload(workers->get_executor(), [] {});
            resumed = true;
        },
        asio::detached);
    io->poll();  // the job waits in the pool's queue behind the first
    workers->stop();
    release.count_down();
    workers.reset();  // the queued job is destroyed, never run
    io.reset();
    EXPECT_FALSE(resumed);
}

// What the sessions' tests do: an io_context per call, destroyed as soon as its run() returns
// (under the TSan stage, a worker still inside its post() would be reported).
TEST(offload, an_io_context_can_be_destroyed_as_soon_as_its_run_returns)
{
    asio::thread_pool workers(2);
    for (int i = 0; i < 200; ++i) {
        int got = -1;
        {
            asio::io_context io(1);
            asio::co_spawn(io, offload(workers.get_executor(), [i] { return i; }), [&](std::exception_ptr e, int value) {
                EXPECT_FALSE(e);
                got = value;
            });
            io.run();
        }
        ASSERT_EQ(got, i);
    }
}

// A request's deadline cancels the coroutine awaiting the work: `interrupt` runs on the coroutine's
// thread and the work ends early, and the coroutine still gets what the work returned, only then.
TEST(offload, cancelling_the_awaiting_coroutine_interrupts_the_work_and_waits_for_it)
{
    asio::thread_pool workers(1);
    asio::io_context io(1);
    asio::cancellation_signal cancel;
    std::latch running(1);
    std::atomic<bool> stop{false}, work_returned{false};
    std::thread::id interrupted_on;
    bool resumed_after_the_work = false;
    auto result = asio::co_spawn(
        io,
        [&]() -> task<int> {
            const int answer = co_await offload(
                workers.get_executor(),
                [&] {
                    running.count_down();
                    while (!stop) {  // a long SQLite statement, until its progress check sees the flag
                    }
                    work_returned = true;
                    return 42;
                },
                [&] {
                    interrupted_on = std::this_thread::get_id();
                    stop = true;
                });
            resumed_after_the_work = work_returned;
            co_return answer;
        },
        asio::bind_cancellation_slot(cancel.slot(), asio::use_future));
    io.poll();  // the job is posted
    running.wait();
    asio::post(io, [&] { cancel.emit(asio::cancellation_type::terminal); });
    io.run();
    EXPECT_EQ(interrupted_on, std::this_thread::get_id());
    EXPECT_EQ(result.get(), 42);  // the work's own answer
    EXPECT_TRUE(resumed_after_the_work);
}

// Once the work has answered, a cancellation is no longer its business: `interrupt` is not called.
TEST(offload, a_cancellation_after_the_work_answered_does_not_interrupt)
{
    asio::thread_pool workers(1);
    asio::io_context io(1);
    asio::cancellation_signal cancel;
    int interrupts = 0;
    bool emitted = false;
    auto result = asio::co_spawn(
        io,
        [&]() -> task<int> {
            const int got = co_await offload(workers.get_executor(), [] { return 7; }, [&] { ++interrupts; });
            cancel.emit(asio::cancellation_type::terminal);  // the slot is the coroutine's again
            emitted = true;
            co_return got;
        },
        asio::bind_cancellation_slot(cancel.slot(), asio::use_future));
    io.run();
    EXPECT_EQ(result.get(), 7);
    EXPECT_TRUE(emitted);
    EXPECT_EQ(interrupts, 0);
}

}  // namespace
