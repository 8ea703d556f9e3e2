// offload: blocking work on a worker pool, its result back on the awaiting coroutine's io_context.
#include <atomic>
#include <memory>
#include <stdexcept>
#include <thread>

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>
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

// The completion must not run while the worker may still be inside post(): run() would return and
// the io_context could be destroyed under the worker. It waits for the flag without blocking.
TEST(offload, the_completion_waits_until_the_worker_is_out_of_its_post)
{
    asio::io_context io(1);
    int calls = 0;
    auto handler = [&](std::exception_ptr, bool) { ++calls; };
    auto guard = asio::make_work_guard(io.get_executor());
    auto posted = std::make_shared<std::atomic<bool>>(false);
    asio::post(io, keel::detail::offload_completion<decltype(handler), bool, decltype(guard)>{
                       handler, nullptr, true, std::move(guard), posted});
    for (int turn = 0; turn < 3; ++turn)
        EXPECT_EQ(io.poll_one(), 1u);  // it ran, saw no flag, and posted itself again
    EXPECT_EQ(calls, 0);
    EXPECT_FALSE(io.stopped());

    posted->store(true);
    io.run();
    EXPECT_EQ(calls, 1);
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

}  // namespace
