#pragma once
#include <type_traits>
#include <utility>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <keel/core/task.hpp>

namespace keel {

/// Runs the coroutine `make()` returns to completion on a private io_context and returns its
/// result (or rethrows its exception). For start-up code, tools and tests — never call it on an
/// I/O thread.
template <class F>
auto block_on(F&& make)
{
    // One io_context per calling thread, kept between calls: a worker thread that posted the last
    // completion to it (keel's offload) may still be returning from that post when run() returns,
    // so destroying it here would race with the worker (ThreadSanitizer shows it).
    thread_local boost::asio::io_context context(1);
    context.restart();
    auto future = boost::asio::co_spawn(context, std::forward<F>(make), boost::asio::use_future);
    context.run();
    return future.get();
}

}  // namespace keel
